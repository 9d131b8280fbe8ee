import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeWithMaven, mavenResolve, pomXml } from '../__testUtils__/nativeClients';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The Maven side of a bundle: Maven resolves an artifact, its parent POM
// and a dependency through a version range (so maven-metadata.xml is read)
// from python's static server over the unpacked bundle, with checksum
// policy `fail`, so the bundle's generated sidecars are checked.

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const GROUP = 'org.backpack.bundletest';
const GROUP_PATH = GROUP.replace(/\./g, '/');

const pom = (body: string) => Buffer.from(pomXml(body));

/** A jar needs to be a zip only for compilation; an empty one is. */
const EMPTY_JAR = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);

describeWithMaven('a bundle as a Maven repository', () => {
  let bundle: ServedBundle | undefined;

  afterAll(async () => {
    await bundle?.stop();
  });

  it('serves Maven from a static server over the unpacked bundle', async () => {
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'maven',
      async seed(seeder) {
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
      },
    });

    const { server, work } = bundle;
    const localRepository = await mavenResolve({
      work,
      repository: `${server.url}maven/`,
      dependency: { groupId: GROUP, artifactId: 'app', version: '[1.0,2.0)' },
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
