import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './serveBackend';

// The real Maven and pip, pointed at one repository (a view of the plugin,
// or a static server over an unpacked bundle) and nothing else.

const MAVEN_COMPILER_PLUGIN = 'org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile';
const MAVEN_PLUGIN_CACHE = path.join(os.homedir(), '.m2', 'repository');

// Maven runs goals through plugins from Maven Central, which is not
// reachable here, and the maven-dependency-plugin in ~/.m2 misses some of
// its own dependencies, so `dependency:get` cannot run. Maven resolves an
// artifact the way every build does instead: as the compile-scope
// dependency of a consumer project compiled with maven-compiler-plugin
// 3.13.0, which is complete in ~/.m2. That cache serves only as the plugin
// repository.
const canRunMaven = existsSync(
  path.join(
    MAVEN_PLUGIN_CACHE,
    'org/apache/maven/plugins/maven-compiler-plugin/3.13.0/maven-compiler-plugin-3.13.0.jar',
  ),
);

/** `describe` where Maven can run offline (the cached compiler plugin is there), else `describe.skip`. */
export const describeWithMaven = canRunMaven ? describe : describe.skip;

/** A POM (model 4.0.0) around the given elements. */
export const pomXml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
${body}
</project>
`;

/**
 * Resolves `dependency` (its version may be a range, so that Maven reads
 * maven-metadata.xml too) with the real Maven from `repository` alone, with
 * checksum policy `fail` and an empty local repository under `work`; with
 * `token`, sent as basic auth once challenged. Answers the local
 * repository; throws with Maven's output when it fails.
 */
export async function mavenResolve(options: {
  work: string;
  repository: string;
  token?: string;
  dependency: { groupId: string; artifactId: string; version: string };
}): Promise<string> {
  const { work, repository, token, dependency } = options;
  const localRepository = path.join(work, 'local-repository');
  const settings = path.join(work, 'settings.xml');
  const servers = token
    ? `<servers><server><id>central</id><username>token</username><password>${token}</password></server></servers>`
    : '';
  // Overriding `central` leaves `repository` as the only repository.
  await fs.writeFile(
    settings,
    `<settings>
  ${servers}
  <profiles>
    <profile>
      <id>backpack</id>
      <repositories>
        <repository>
          <id>central</id>
          <url>${repository}</url>
          <releases><checksumPolicy>fail</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository>
          <id>central</id>
          <url>file://${MAVEN_PLUGIN_CACHE}</url>
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
  await fs.writeFile(
    path.join(project, 'pom.xml'),
    pomXml(`  <groupId>consumer</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>${dependency.groupId}</groupId><artifactId>${dependency.artifactId}</artifactId><version>${dependency.version}</version></dependency>
  </dependencies>`),
  );
  const result = await runCommand(
    'mvn',
    ['-B', '-q', '-s', settings, `-Dmaven.repo.local=${localRepository}`, MAVEN_COMPILER_PLUGIN],
    { cwd: project, timeoutMs: 120_000 },
  );
  if (result.code !== 0) throw new Error(`mvn failed:\n${result.output}`);
  return localRepository;
}

/**
 * Downloads `project` with its dependencies into `dest` with the real pip,
 * from the simple index at `index` alone, with no configuration and no
 * cache. Answers the downloaded file names, sorted; throws with pip's
 * output when it fails.
 */
export async function pipDownload(options: {
  index: string;
  project: string;
  dest: string;
  cwd: string;
}): Promise<string[]> {
  const result = await runCommand(
    'python3',
    [
      '-m',
      'pip',
      'download',
      options.project,
      '--index-url',
      options.index,
      '--dest',
      options.dest,
      '--no-cache-dir',
      '--isolated',
      '--disable-pip-version-check',
    ],
    { cwd: options.cwd, env: { PIP_CONFIG_FILE: os.devNull }, timeoutMs: 60_000 },
  );
  if (result.code !== 0) throw new Error(`pip download failed:\n${result.output}`);
  return (await fs.readdir(options.dest)).sort();
}
