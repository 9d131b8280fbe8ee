import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBackpackStores } from '../database/createBackpackStores';
import { ExportService } from './ExportService';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import {
  CollectedSeeder,
  downloadBundle,
  runVerify,
  startStaticServer,
  StaticServer,
  unpackBundle,
} from './__testUtils__/bundleFiles';

// The Maven side of a bundle: Maven resolves an artifact, its parent POM
// and a dependency through a version range (so maven-metadata.xml is read)
// from python's static server over the unpacked bundle, with checksum
// policy `fail`, so the bundle's generated sidecars are checked.
//
// Maven runs goals through plugins from Maven Central, which is not
// reachable here, and the maven-dependency-plugin in ~/.m2 is incomplete;
// as in the Maven view's test, resolution happens as a consumer project's
// compile-scope dependency, with maven-compiler-plugin from ~/.m2 as the
// only plugin repository.

const exec = promisify(execFile);

jest.setTimeout(90_000);

const COMPILER_PLUGIN = 'org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile';
const PLUGIN_CACHE = path.join(os.homedir(), '.m2', 'repository');
const canRunMaven = existsSync(
  path.join(PLUGIN_CACHE, 'org/apache/maven/plugins/maven-compiler-plugin/3.13.0/maven-compiler-plugin-3.13.0.jar'),
);
// Without the cached plugin Maven cannot run offline; nothing else to test with it.
const describeWithMaven = canRunMaven ? describe : describe.skip;

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const GROUP = 'org.backpack.bundletest';
const GROUP_PATH = GROUP.replace(/\./g, '/');

const pom = (body: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
${body}
</project>
`);

/** A jar needs to be a zip only for compilation; an empty one is. */
const EMPTY_JAR = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);

describeWithMaven('a bundle as a Maven repository', () => {
  let work: string;
  let server: StaticServer | undefined;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-maven-bundle-'));
  });

  afterAll(async () => {
    await server?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('serves Maven from a static server over the unpacked bundle', async () => {
    const knex = await databases.init('SQLITE_3');
    const stores = await createBackpackStores({ database: { getClient: async () => knex } });
    const blobStore = new LocalDirectoryBlobStore({ directory: path.join(work, 'blobs') });
    const seeder = new CollectedSeeder(stores, knex, blobStore);
    await seeder.seed('maven', `${GROUP}:parent`, {
      '1.0': {
        files: [
          {
            path: `${GROUP_PATH}/parent/1.0/parent-1.0.pom`,
            content: pom(`  <groupId>${GROUP}</groupId>
  <artifactId>parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>`),
          },
        ],
      },
    });
    await seeder.seed('maven', `${GROUP}:lib`, {
      '2.1': {
        files: [
          {
            path: `${GROUP_PATH}/lib/2.1/lib-2.1.pom`,
            content: pom(`  <groupId>${GROUP}</groupId>
  <artifactId>lib</artifactId>
  <version>2.1</version>`),
          },
          { path: `${GROUP_PATH}/lib/2.1/lib-2.1.jar`, content: EMPTY_JAR },
        ],
      },
    });
    await seeder.seed('maven', `${GROUP}:app`, {
      '1.0': {
        files: [
          {
            path: `${GROUP_PATH}/app/1.0/app-1.0.pom`,
            content: pom(`  <parent>
    <groupId>${GROUP}</groupId>
    <artifactId>parent</artifactId>
    <version>1.0</version>
  </parent>
  <artifactId>app</artifactId>
  <dependencies>
    <dependency><groupId>${GROUP}</groupId><artifactId>lib</artifactId><version>2.1</version></dependency>
  </dependencies>`),
          },
          { path: `${GROUP_PATH}/app/1.0/app-1.0.jar`, content: EMPTY_JAR },
        ],
      },
    });

    const service = new ExportService({
      stores,
      blobStore,
      logger: mockServices.logger.mock(),
      workerId: 'test',
      processorNames: () => ['maven'],
      partSizeBytes: 4096,
      npmTarballBaseUrl: 'https://registry.npmjs.org/',
    });
    const created = await service.createExport({});
    await service.drain();
    expect(await service.getExport(created.id)).toMatchObject({ status: 'succeeded' });
    const bundle = path.join(work, 'bundle');
    const manifest = await downloadBundle(blobStore, created.id, bundle);
    expect((await runVerify(bundle)).code).toBe(0);
    const root = path.join(work, 'root');
    await unpackBundle(bundle, manifest, root);
    server = await startStaticServer(root);

    const settings = path.join(work, 'settings.xml');
    await fs.writeFile(
      settings,
      `<settings>
  <profiles>
    <profile>
      <id>bundle</id>
      <repositories>
        <repository>
          <id>central</id>
          <url>${server.url}maven/</url>
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
  <activeProfiles><activeProfile>bundle</activeProfile></activeProfiles>
</settings>
`,
    );
    const project = path.join(work, 'consumer');
    await fs.mkdir(project);
    await fs.writeFile(
      path.join(project, 'pom.xml'),
      pom(`  <groupId>consumer</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>${GROUP}</groupId><artifactId>app</artifactId><version>[1.0,2.0)</version></dependency>
  </dependencies>`),
    );
    const localRepository = path.join(work, 'local-repository');
    await exec('mvn', ['-B', '-q', '-s', settings, `-Dmaven.repo.local=${localRepository}`, COMPILER_PLUGIN], {
      cwd: project,
    });

    for (const file of [
      `${GROUP_PATH}/app/1.0/app-1.0.jar`,
      `${GROUP_PATH}/app/1.0/app-1.0.pom`,
      `${GROUP_PATH}/parent/1.0/parent-1.0.pom`,
      `${GROUP_PATH}/lib/2.1/lib-2.1.jar`,
    ]) {
      await fs.access(path.join(localRepository, file));
    }
    for (const request of [
      `GET /maven/${GROUP_PATH}/app/maven-metadata.xml HTTP/1.1" 200`,
      `GET /maven/${GROUP_PATH}/app/1.0/app-1.0.jar.sha1 HTTP/1.1" 200`,
    ]) {
      expect(server.log()).toContain(request);
    }
  });
});
