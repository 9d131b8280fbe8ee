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

/** What the bundle holds, by repository path: app 1.0 with a parent and a dependency. */
const FILES: Record<string, Buffer> = {
  [`${GROUP_PATH}/parent/1.0/parent-1.0.pom`]: pom(`  <groupId>${GROUP}</groupId>
  <artifactId>parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>`),
  [`${GROUP_PATH}/lib/2.1/lib-2.1.pom`]: pom(`  <groupId>${GROUP}</groupId>
  <artifactId>lib</artifactId>
  <version>2.1</version>`),
  [`${GROUP_PATH}/lib/2.1/lib-2.1.jar`]: EMPTY_JAR,
  [`${GROUP_PATH}/app/1.0/app-1.0.pom`]: pom(`  <parent>
    <groupId>${GROUP}</groupId>
    <artifactId>parent</artifactId>
    <version>1.0</version>
  </parent>
  <artifactId>app</artifactId>
  <dependencies>
    <dependency><groupId>${GROUP}</groupId><artifactId>lib</artifactId><version>2.1</version></dependency>
  </dependencies>`),
  [`${GROUP_PATH}/app/1.0/app-1.0.jar`]: EMPTY_JAR,
};

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
        for (const [artifactId, version] of [
          ['parent', '1.0'],
          ['lib', '2.1'],
          ['app', '1.0'],
        ]) {
          const folder = `${GROUP_PATH}/${artifactId}/${version}/`;
          const files = Object.entries(FILES)
            .filter(([file]) => file.startsWith(folder))
            .map(([file, content]) => ({ path: file, content }));
          await seeder.seed('maven', `${GROUP}:${artifactId}`, { [version]: { files } });
        }
      },
    });

    const { server, work } = bundle;
    const localRepository = await mavenResolve({
      work,
      repository: `${server.url}maven/`,
      dependency: { groupId: GROUP, artifactId: 'app', version: '[1.0,2.0)' },
    });
    // Every file of the closure, byte for byte.
    for (const [file, content] of Object.entries(FILES)) {
      expect(await fs.readFile(path.join(localRepository, file))).toEqual(content);
    }
    for (const request of [
      `GET /maven/${GROUP_PATH}/app/maven-metadata.xml HTTP/1.1" 200`,
      `GET /maven/${GROUP_PATH}/app/1.0/app-1.0.jar.sha1 HTTP/1.1" 200`,
    ]) {
      expect(server.log()).toContain(request);
    }
  });
});
