import { createHash } from 'node:crypto';
import { StaticRegistryServer } from './staticRegistryServer';

export const sha1 = (body: string) => createHash('sha1').update(body).digest('hex');
export const sha256 = (body: string) => createHash('sha256').update(body).digest('hex');

const project = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
${body}
</project>
`;

const dependency = (g: string, a: string, extra = '') =>
  `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId>${extra}</dependency>`;

/** POMs of the fixture repository, by repository path. */
export const POMS: Record<string, string> = {
  'com/example/grandparent/1/grandparent-1.pom': project(`
  <groupId>com.example</groupId>
  <artifactId>grandparent</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <slf4j.version>1.7.36</slf4j.version>
    <guava.version>32.1.3-jre</guava.version>
  </properties>`),

  'com/example/parent/1.0/parent-1.0.pom': project(`
  <parent>
    <groupId>com.example</groupId>
    <artifactId>grandparent</artifactId>
    <version>1</version>
  </parent>
  <artifactId>parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>
  <properties>
    <slf4j.version>2.0.9</slf4j.version>
    <lib.base>3.12</lib.base>
    <lang.version>\${lib.base}.0</lang.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      ${dependency('org.slf4j', 'slf4j-api', '<version>${slf4j.version}</version>')}
      ${dependency('com.example', 'sibling', '<version>${project.version}</version>')}
      ${dependency('com.example', 'bom', '<version>4.1</version><type>pom</type><scope>import</scope>')}
      ${dependency('javax.servlet', 'servlet-api', '<version>2.5</version><scope>provided</scope>')}
    </dependencies>
  </dependencyManagement>
  <dependencies>
    ${dependency('junit', 'junit', '<version>4.13.2</version><scope>test</scope>')}
  </dependencies>`),

  'com/example/bom/4.1/bom-4.1.pom': project(`
  <groupId>com.example</groupId>
  <artifactId>bom</artifactId>
  <version>4.1</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      ${dependency('com.fasterxml.jackson.core', 'jackson-databind', '<version>2.15.3</version>')}
      ${dependency('org.slf4j', 'slf4j-api', '<version>1.0.0</version>')}
    </dependencies>
  </dependencyManagement>`),

  'com/example/app/1.0/app-1.0.pom': project(`
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>1.0</version>
    <relativePath>../parent</relativePath>
  </parent>
  <artifactId>app</artifactId>
  <version>1.0</version>
  <dependencies>
    ${dependency('org.slf4j', 'slf4j-api')}
    ${dependency('com.fasterxml.jackson.core', 'jackson-databind')}
    ${dependency('com.example', 'sibling')}
    ${dependency('com.google.guava', 'guava', '<version>${guava.version}</version>')}
    ${dependency('org.apache.commons', 'commons-lang3', '<version>${lang.version}</version>')}
    ${dependency('org.postgresql', 'postgresql', '<version>[42.0,43.0)</version><scope>runtime</scope>')}
    ${dependency('io.netty', 'netty-transport-native-epoll', '<version>4.1.100.Final</version><classifier>linux-x86_64</classifier>')}
    ${dependency('io.netty', 'netty-transport-native-epoll', '<version>4.1.100.Final</version><classifier>linux-aarch_64</classifier>')}
    ${dependency('org.mockito', 'mockito-core', '<version>5.7.0</version><scope>test</scope>')}
    ${dependency('javax.servlet', 'servlet-api')}
    ${dependency('com.h2database', 'h2', '<version>2.2.224</version><optional>true</optional>')}
    ${dependency('com.example', 'broken', '<version>${undefined.property}</version>')}
  </dependencies>`),

  'com/example/app/1.1/app-1.1.pom': project(`
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>1.0</version>
  </parent>
  <artifactId>app</artifactId>
  <version>1.1</version>
  <packaging>war</packaging>
  <dependencies>
    ${dependency('org.slf4j', 'slf4j-api', '<version>[2.0,3.0)</version>')}
    ${dependency('\${project.groupId}', 'sibling')}
    ${dependency('com.example', 'tools', '<version>${project.parent.version}</version>')}
  </dependencies>`),

  'com/example/old-app/1.0/old-app-1.0.pom': project(`
  <groupId>com.example</groupId>
  <artifactId>old-app</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>
  <distributionManagement>
    <relocation><artifactId>app</artifactId></relocation>
  </distributionManagement>`),
};

/** Jars and wars, by path, with the sidecars each has. */
const ARTIFACTS: Record<string, Array<'sha1' | 'sha256'>> = {
  'com/example/app/1.0/app-1.0.jar': ['sha1'],
  'com/example/app/1.0/app-1.0-sources.jar': ['sha1'],
  'com/example/app/1.1/app-1.1.war': ['sha256'],
};

const metadata = (groupId: string, artifactId: string, versions: string[], release: string) => `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>${groupId}</groupId>
  <artifactId>${artifactId}</artifactId>
  <versioning>
    <latest>${versions[versions.length - 1]}</latest>
    <release>${release}</release>
    <versions>
${versions.map(v => `      <version>${v}</version>`).join('\n')}
    </versions>
    <lastUpdated>20240101000000</lastUpdated>
  </versioning>
</metadata>
`;

/** Publishes `app` with a new list of versions, as a deploy would. */
export function publishAppMetadata(server: StaticRegistryServer, versions: string[]): void {
  server.set('/com/example/app/maven-metadata.xml', {
    contentType: 'application/xml',
    body: metadata('com.example', 'app', versions, '1.1'),
  });
}

export const artifactBody = (path: string) => `bytes of ${path}\n`;

/**
 * Starts a repository in Maven's layout: metadata, POMs (a grandparent and
 * parent with properties and managed versions, an imported BOM, an app
 * using all of them, a relocated artifact) and artifacts with `.sha1` or
 * `.sha256` sidecars in the formats repositories write.
 */
export async function startMavenRepository(): Promise<StaticRegistryServer> {
  const server = await StaticRegistryServer.start();
  for (const [path, body] of Object.entries(POMS)) {
    server.set(`/${path}`, { contentType: 'application/xml', body });
    // sha1sum style for one, the bare digest for the rest.
    const name = path.slice(path.lastIndexOf('/') + 1);
    server.set(`/${path}.sha1`, path.includes('1.1') ? `${sha1(body)}  ${name}\n` : sha1(body));
  }
  for (const [path, sidecars] of Object.entries(ARTIFACTS)) {
    const body = artifactBody(path);
    server.set(`/${path}`, body);
    if (sidecars.includes('sha1')) server.set(`/${path}.sha1`, sha1(body));
    if (sidecars.includes('sha256')) server.set(`/${path}.sha256`, `${sha256(body)}\n`);
  }
  publishAppMetadata(server, ['1.0', '1.1', '2.0-SNAPSHOT']);
  for (const [artifactId, version] of [
    ['parent', '1.0'],
    ['bom', '4.1'],
    ['old-app', '1.0'],
  ]) {
    server.set(`/com/example/${artifactId}/maven-metadata.xml`, {
      contentType: 'application/xml',
      body: metadata('com.example', artifactId, [version], version),
    });
  }
  return server;
}

/** Publishes the `maven-metadata.xml` of an artifact, as a deploy would. */
export function publishMetadata(server: StaticRegistryServer, groupId: string, artifactId: string, versions: string[]) {
  const dir = `/${groupId.replace(/\./g, '/')}/${artifactId}`;
  server.set(`${dir}/maven-metadata.xml`, {
    contentType: 'application/xml',
    body: metadata(groupId, artifactId, versions, versions[versions.length - 1]),
  });
}

/**
 * Publishes a jar artifact: metadata, and POM and jar with `.sha1`
 * sidecars, optionally with dependencies and classified jars.
 */
export function publishJar(
  server: StaticRegistryServer,
  groupId: string,
  artifactId: string,
  versions: string[],
  options: { dependencies?: string[]; classifiers?: string[] } = {},
) {
  const dir = `/${groupId.replace(/\./g, '/')}/${artifactId}`;
  publishMetadata(server, groupId, artifactId, versions);
  const dependencies = (options.dependencies ?? []).map(coordinates => {
    const [g, a, v, classifier] = coordinates.split(':');
    return `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version>${
      classifier ? `<classifier>${classifier}</classifier>` : ''
    }</dependency>`;
  });
  for (const version of versions) {
    const base = `${dir}/${version}/${artifactId}-${version}`;
    const pom = `<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version>
<dependencies>${dependencies.join('')}</dependencies></project>`;
    server.set(`${base}.pom`, pom);
    server.set(`${base}.pom.sha1`, sha1(pom));
    for (const suffix of ['', ...(options.classifiers ?? []).map(c => `-${c}`)]) {
      const jar = `jar of ${artifactId} ${version}${suffix}`;
      server.set(`${base}${suffix}.jar`, jar);
      server.set(`${base}${suffix}.jar.sha1`, sha1(jar));
    }
  }
}
