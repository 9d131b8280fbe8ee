import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  runCommand,
  ServeTestBackend,
  startServeBackend,
  STATIC_TOKEN,
} from '../__testUtils__/serveBackend';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';

// Acceptance test of the Maven view (issue 6): an artifact with a parent
// POM and a dependency whose version the parent manages, mirrored from a
// local repository, the repository stopped, then the real Maven resolves
// it from the view alone with an empty local repository.
//
// Maven runs goals through plugins, which it downloads from Maven Central,
// and Central is not reachable here. `dependency:get` cannot run at all:
// the maven-dependency-plugin versions cached in ~/.m2 miss some of their
// own dependencies (weld-api-parent, commons-beanutils 1.9.4). So Maven
// resolves the artifact the way every build does, as the compile-scope
// dependency of a consumer project compiled with maven-compiler-plugin
// 3.13.0, which is complete in ~/.m2. That cache serves only as the
// plugin repository; the project's one repository is the view, and the
// artifact under test exists nowhere but there.

const COMPILER_PLUGIN = 'org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile';
const PLUGIN_CACHE = path.join(os.homedir(), '.m2', 'repository');
const canRunMaven = existsSync(
  path.join(
    PLUGIN_CACHE,
    'org/apache/maven/plugins/maven-compiler-plugin/3.13.0/maven-compiler-plugin-3.13.0.jar',
  ),
);
// Without the cached plugin Maven cannot run offline; nothing else to test with it.
const describeWithMaven = canRunMaven ? describe : describe.skip;

const GROUP = 'org.backpack.servetest';
const GROUP_PATH = GROUP.replace(/\./g, '/');
const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const sha1 = (body: string | Buffer) => createHash('sha1').update(body).digest('hex');
const md5 = (body: string | Buffer) => createHash('md5').update(body).digest('hex');

const pom = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
${body}
</project>
`;

/** Files of the upstream repository by path. */
const FILES: Record<string, string> = {
  [`${GROUP_PATH}/parent/1.0/parent-1.0.pom`]: pom(`
  <groupId>${GROUP}</groupId>
  <artifactId>parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>
  <properties><lib.version>2.1</lib.version></properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>${GROUP}</groupId><artifactId>lib</artifactId><version>\${lib.version}</version></dependency>
    </dependencies>
  </dependencyManagement>`),
  [`${GROUP_PATH}/app/0.9/app-0.9.pom`]: pom(`
  <groupId>${GROUP}</groupId>
  <artifactId>app</artifactId>
  <version>0.9</version>`),
  [`${GROUP_PATH}/app/0.9/app-0.9.jar`]: 'app 0.9 classes\n',
  [`${GROUP_PATH}/app/1.0/app-1.0.pom`]: pom(`
  <parent><groupId>${GROUP}</groupId><artifactId>parent</artifactId><version>1.0</version></parent>
  <artifactId>app</artifactId>
  <version>1.0</version>
  <dependencies>
    <dependency><groupId>${GROUP}</groupId><artifactId>lib</artifactId></dependency>
  </dependencies>`),
  [`${GROUP_PATH}/app/1.0/app-1.0.jar`]: 'app 1.0 classes\n',
  [`${GROUP_PATH}/lib/2.0/lib-2.0.pom`]: pom(`
  <groupId>${GROUP}</groupId>
  <artifactId>lib</artifactId>
  <version>2.0</version>`),
  [`${GROUP_PATH}/lib/2.0/lib-2.0.jar`]: 'lib 2.0 classes\n',
  [`${GROUP_PATH}/lib/2.1/lib-2.1.pom`]: pom(`
  <groupId>${GROUP}</groupId>
  <artifactId>lib</artifactId>
  <version>2.1</version>`),
  [`${GROUP_PATH}/lib/2.1/lib-2.1.jar`]: 'lib 2.1 classes\n',
};

const metadata = (artifactId: string, versions: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>${GROUP}</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${versions[versions.length - 1]}</latest>
    <release>${versions[versions.length - 1]}</release>
    <versions>${versions.map(v => `<version>${v}</version>`).join('')}</versions>
    <lastUpdated>20240101000000</lastUpdated>
  </versioning>
</metadata>
`;

async function startUpstream(): Promise<StaticRegistryServer> {
  const server = await StaticRegistryServer.start();
  for (const [file, body] of Object.entries(FILES)) {
    server.set(`/${file}`, body);
    server.set(`/${file}.sha1`, sha1(body));
  }
  server.set(`/${GROUP_PATH}/parent/maven-metadata.xml`, metadata('parent', ['1.0']));
  server.set(`/${GROUP_PATH}/app/maven-metadata.xml`, metadata('app', ['0.9', '1.0']));
  server.set(`/${GROUP_PATH}/lib/maven-metadata.xml`, metadata('lib', ['2.0', '2.1']));
  return server;
}

describe('Maven repository view', () => {
  let upstream: StaticRegistryServer | undefined;
  let backend: ServeTestBackend;
  let work: string;
  let counts: Record<string, number>;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-maven-view-'));
    upstream = await startUpstream();
    backend = await startServeBackend({
      processors: { maven: { repository: upstream.url } },
      allowedHosts: [new URL(upstream.url).host],
    });
    await backend.addRoot({ processor: 'maven', id: `${GROUP}:app`, filter: '[1.0]' });
    counts = await backend.waitForCollection();
    await upstream.close();
    upstream = undefined;
  });

  afterAll(async () => {
    await upstream?.close();
    await backend?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('collected the app, its parent POM and the managed version of its dependency', () => {
    // app 1.0 (pom, jar), parent 1.0 (pom), lib 2.1 (pom, jar)
    expect(counts).toEqual({ collected: 5 });
  });

  describeWithMaven('with Maven', () => {
    it('resolves the artifact from the view alone, the upstream stopped', async () => {
      const view = `${backend.baseUrl}/maven/`;
      const localRepository = path.join(work, 'local-repository');
      const settings = path.join(work, 'settings.xml');
      // Overriding `central` leaves the view as the only repository; the
      // server entry sends the token as basic auth once challenged.
      await fs.writeFile(
        settings,
        `<settings>
    <servers>
      <server><id>central</id><username>token</username><password>${STATIC_TOKEN}</password></server>
    </servers>
    <profiles>
      <profile>
        <id>backpack</id>
        <repositories>
          <repository>
            <id>central</id>
            <url>${view}</url>
            <releases><checksumPolicy>fail</checksumPolicy></releases>
            <snapshots><enabled>false</enabled></snapshots>
          </repository>
        </repositories>
        <pluginRepositories>
          <pluginRepository>
            <id>central</id>
            <url>file://${PLUGIN_CACHE}</url>
            <releases><checksumPolicy>ignore</checksumPolicy></releases>
          </pluginRepository>
        </pluginRepositories>
      </profile>
    </profiles>
    <activeProfiles><activeProfile>backpack</activeProfile></activeProfiles>
  </settings>
  `,
      );
      const project = path.join(work, 'consumer');
      await fs.mkdir(project);
      // A version range, so Maven reads maven-metadata.xml from the view too.
      await fs.writeFile(
        path.join(project, 'pom.xml'),
        pom(`
    <groupId>consumer</groupId>
    <artifactId>consumer</artifactId>
    <version>1</version>
    <dependencies>
      <dependency><groupId>${GROUP}</groupId><artifactId>app</artifactId><version>[1.0,2.0)</version></dependency>
    </dependencies>`),
      );
      const result = await runCommand(
        'mvn',
        ['-B', '-q', '-s', settings, `-Dmaven.repo.local=${localRepository}`, COMPILER_PLUGIN],
        { cwd: project, timeoutMs: 120_000 },
      );
      if (result.code !== 0) throw new Error(`mvn failed:\n${result.output}`);

      for (const file of [
        `${GROUP_PATH}/app/1.0/app-1.0.jar`,
        `${GROUP_PATH}/app/1.0/app-1.0.pom`,
        `${GROUP_PATH}/parent/1.0/parent-1.0.pom`,
        `${GROUP_PATH}/lib/2.1/lib-2.1.jar`,
      ]) {
        expect(await fs.readFile(path.join(localRepository, file), 'utf8')).toBe(FILES[file]);
      }
    }, 150_000);
  });

  it('generates maven-metadata.xml over the mirrored versions, with checksums', async () => {
    const base = `/api/backpack/maven/${GROUP_PATH}/app/maven-metadata.xml`;
    const xml = await request(backend.server).get(base).set(auth);
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.text).toContain('<version>1.0</version>');
    // 0.9 is upstream but not mirrored.
    expect(xml.text).not.toContain('0.9');
    expect(xml.text).toContain('<release>1.0</release>');
    const sha1Sidecar = await request(backend.server).get(`${base}.sha1`).set(auth);
    expect(sha1Sidecar.text).toBe(sha1(xml.text));
    const md5Sidecar = await request(backend.server).get(`${base}.md5`).set(auth);
    expect(md5Sidecar.text).toBe(md5(xml.text));
  });

  it('serves files with sidecars from stored digests or the stored bytes, and HEAD', async () => {
    const jar = `${GROUP_PATH}/lib/2.1/lib-2.1.jar`;
    const url = `/api/backpack/maven/${jar}`;
    const get = await request(backend.server).get(url).set(auth).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(get.status).toBe(200);
    expect((get.body as Buffer).toString()).toBe(FILES[jar]);
    const head = await request(backend.server).head(url).set(auth);
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(FILES[jar]));
    expect((await request(backend.server).get(`${url}.sha1`).set(auth)).text).toBe(sha1(FILES[jar]));
    expect((await request(backend.server).get(`${url}.md5`).set(auth)).text).toBe(md5(FILES[jar]));
  });

  it('answers 404 for what is not mirrored', async () => {
    for (const missing of [
      `${GROUP_PATH}/lib/2.0/lib-2.0.jar`,
      `${GROUP_PATH}/lib/2.0/lib-2.0.jar.sha1`,
      `${GROUP_PATH}/other/maven-metadata.xml`,
      `${GROUP_PATH}/maven-metadata.xml`,
    ]) {
      const res = await request(backend.server).get(`/api/backpack/maven/${missing}`).set(auth);
      expect(res.status).toBe(404);
    }
  });
});
