import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { describeWithMaven, mavenResolve, pomXml as pom } from '../__testUtils__/nativeClients';
import { binaryBody } from '../__testUtils__/api';
import { STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the Maven view (issue 6): an artifact with a parent
// POM and a dependency whose version the parent manages, mirrored from a
// local repository, the repository stopped, then the real Maven resolves
// it from the view alone with an empty local repository (as a consumer
// project's dependency; see mavenResolve): the project's one repository is
// the view, and the artifact under test exists nowhere but there.

const GROUP = 'org.backpack.servetest';
const GROUP_PATH = GROUP.replace(/\./g, '/');
const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const sha1 = (body: string | Buffer) => createHash('sha1').update(body).digest('hex');
const md5 = (body: string | Buffer) => createHash('md5').update(body).digest('hex');

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

describe('Maven repository view', () => {
  const mirror = mirrorThenStopUpstream({
    async startUpstream() {
      const server = await StaticRegistryServer.start();
      for (const [file, body] of Object.entries(FILES)) {
        server.set(`/${file}`, body);
        server.set(`/${file}.sha1`, sha1(body));
      }
      server.set(`/${GROUP_PATH}/parent/maven-metadata.xml`, metadata('parent', ['1.0']));
      server.set(`/${GROUP_PATH}/app/maven-metadata.xml`, metadata('app', ['0.9', '1.0']));
      server.set(`/${GROUP_PATH}/lib/maven-metadata.xml`, metadata('lib', ['2.0', '2.1']));
      return { url: server.url, stop: () => server.close() };
    },
    processors: upstream => ({ maven: { repository: upstream.url } }),
    roots: [{ processor: 'maven', id: `${GROUP}:app`, filter: '[1.0]' }],
  });

  it('collected the app, its parent POM and the managed version of its dependency', () => {
    // app 1.0 (pom, jar), parent 1.0 (pom), lib 2.1 (pom, jar)
    expect(mirror.counts).toEqual({ collected: 5 });
  });

  describeWithMaven('with Maven', () => {
    it('resolves the artifact from the view alone, the upstream stopped', async () => {
      // The server entry sends the token as basic auth once challenged; a
      // version range, so Maven reads maven-metadata.xml from the view too.
      const localRepository = await mavenResolve({
        work: mirror.work,
        repository: `${mirror.backend.baseUrl}/maven/`,
        token: STATIC_TOKEN,
        dependency: { groupId: GROUP, artifactId: 'app', version: '[1.0,2.0)' },
      });
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
    const xml = await request(mirror.backend.server).get(base).set(auth);
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.text).toContain('<version>1.0</version>');
    // 0.9 is upstream but not mirrored.
    expect(xml.text).not.toContain('0.9');
    expect(xml.text).toContain('<release>1.0</release>');
    const sha1Sidecar = await request(mirror.backend.server).get(`${base}.sha1`).set(auth);
    expect(sha1Sidecar.text).toBe(sha1(xml.text));
    const md5Sidecar = await request(mirror.backend.server).get(`${base}.md5`).set(auth);
    expect(md5Sidecar.text).toBe(md5(xml.text));
  });

  it('serves files with sidecars from stored digests or the stored bytes, and HEAD', async () => {
    const jar = `${GROUP_PATH}/lib/2.1/lib-2.1.jar`;
    const url = `/api/backpack/maven/${jar}`;
    const get = await request(mirror.backend.server).get(url).set(auth).buffer(true).parse(binaryBody);
    expect(get.status).toBe(200);
    expect((get.body as Buffer).toString()).toBe(FILES[jar]);
    const head = await request(mirror.backend.server).head(url).set(auth);
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(FILES[jar]));
    expect((await request(mirror.backend.server).get(`${url}.sha1`).set(auth)).text).toBe(sha1(FILES[jar]));
    expect((await request(mirror.backend.server).get(`${url}.md5`).set(auth)).text).toBe(md5(FILES[jar]));
  });

  it('answers 404 for what is not mirrored', async () => {
    for (const missing of [
      `${GROUP_PATH}/lib/2.0/lib-2.0.jar`,
      `${GROUP_PATH}/lib/2.0/lib-2.0.jar.sha1`,
      `${GROUP_PATH}/other/maven-metadata.xml`,
      `${GROUP_PATH}/maven-metadata.xml`,
    ]) {
      const res = await request(mirror.backend.server).get(`/api/backpack/maven/${missing}`).set(auth);
      expect(res.status).toBe(404);
    }
  });
});
