import { createHash } from 'node:crypto';
import { StaticRegistryServer } from './staticRegistryServer';

/** A release file of the fixture index, before it is given a URL. */
interface FixtureFile {
  filename: string;
  yanked?: boolean;
}

interface FixtureRelease {
  files: FixtureFile[];
  requiresDist: string[] | null;
  uploaded: string;
}

interface FixtureProject {
  /** The name as the project registered it, not normalised. */
  name: string;
  releases: Record<string, FixtureRelease>;
  /** The release `info` describes. */
  latest: string;
}

/** Bytes of a fixture file: its name, so every file has its own digest. */
export const fixtureFileBody = (filename: string) => `contents of ${filename}\n`;

export const sha256Of = (filename: string) =>
  createHash('sha256').update(fixtureFileBody(filename)).digest('hex');

/**
 * A small index in PyPI's shape: a project with platform wheels, an sdist,
 * a yanked file, a pre-release and markers of every kind, and the projects
 * it depends on.
 */
export const PROJECTS: FixtureProject[] = [
  {
    name: 'Foo_Bar',
    latest: '2.0',
    releases: {
      '0.9': {
        uploaded: '2023-01-01T00:00:00.000000Z',
        files: [{ filename: 'foo_bar-0.9-py3-none-any.whl', yanked: true }],
        requiresDist: null,
      },
      '1.0': {
        uploaded: '2023-06-01T00:00:00.000000Z',
        files: [{ filename: 'foo_bar-1.0.tar.gz' }, { filename: 'foo_bar-1.0-py3-none-any.whl' }],
        requiresDist: ['requests>=2.0', 'importlib-metadata; python_version < "3.8"'],
      },
      '2.0': {
        uploaded: '2024-02-01T00:00:00.000000Z',
        files: [
          { filename: 'foo_bar-2.0.tar.gz' },
          { filename: 'foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl' },
          { filename: 'foo_bar-2.0-cp312-cp312-manylinux_2_28_x86_64.whl' },
          { filename: 'foo_bar-2.0-cp311-cp311-musllinux_1_1_x86_64.whl' },
          { filename: 'foo_bar-2.0-cp311-cp311-win_amd64.whl' },
          { filename: 'foo_bar-2.0-cp38-abi3-macosx_11_0_arm64.whl' },
          { filename: 'foo_bar-2.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl' },
          { filename: 'foo_bar-2.0-cp310-cp310-manylinux_2_17_x86_64.whl', yanked: true },
        ],
        requiresDist: [
          'requests[socks] (>=2.28,<3)',
          'pywin32>=300; sys_platform == "win32"',
          'colorama; platform_system == "Windows"',
          'tomli>=1.1; python_version < "3.11"',
          'importlib-metadata>=4; python_full_version < "3.10.2"',
          'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
          'uvloop>=0.17; extra == "fast" and sys_platform != "win32"',
          'Foo.Bar[socks]; extra == "all"',
        ],
      },
      '3.0b1': {
        uploaded: '2024-05-01T00:00:00.000000Z',
        files: [{ filename: 'foo_bar-3.0b1-py3-none-any.whl' }],
        requiresDist: ['requests>=2.31'],
      },
    },
  },
  {
    name: 'requests',
    latest: '2.31.0',
    releases: {
      '2.27.0': {
        uploaded: '2022-01-03T00:00:00.000000Z',
        files: [{ filename: 'requests-2.27.0-py2.py3-none-any.whl' }],
        requiresDist: ['idna<4,>=2.5; python_version >= "3"'],
      },
      '2.31.0': {
        uploaded: '2023-05-22T00:00:00.000000Z',
        files: [
          { filename: 'requests-2.31.0.tar.gz' },
          { filename: 'requests-2.31.0-py3-none-any.whl' },
        ],
        requiresDist: [
          'idna<4,>=2.5',
          'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
          'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"',
        ],
      },
    },
  },
  {
    name: 'PySocks',
    latest: '1.7.1',
    releases: {
      '1.7.1': {
        uploaded: '2019-09-20T00:00:00.000000Z',
        files: [{ filename: 'PySocks-1.7.1-py3-none-any.whl' }],
        requiresDist: null,
      },
    },
  },
];

const normalize = (name: string) => name.replace(/[-_.]+/g, '-').toLowerCase();

function jsonFile(server: StaticRegistryServer, file: FixtureFile, uploaded: string) {
  return {
    filename: file.filename,
    url: `${server.url}/packages/${file.filename}`,
    packagetype: file.filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
    digests: { md5: createHash('md5').update(fixtureFileBody(file.filename)).digest('hex'), sha256: sha256Of(file.filename) },
    size: Buffer.byteLength(fixtureFileBody(file.filename)),
    yanked: file.yanked ?? false,
    yanked_reason: file.yanked ? 'broken' : null,
    upload_time_iso_8601: uploaded,
  };
}

/** The core metadata file (PEP 658) of a release, with a folded field. */
function coreMetadata(project: FixtureProject, version: string): string {
  const lines = [
    'Metadata-Version: 2.1',
    `Name: ${project.name}`,
    `Version: ${version}`,
    'Summary: A fixture project',
    '  whose summary continues here',
    ...(project.releases[version].requiresDist ?? []).map(line => `Requires-Dist: ${line}`),
  ];
  return `${lines.join('\n')}\n\nRequires-Dist: not-a-field (the description starts above)\n`;
}

/** A PEP 691 project page; wheels give relative URLs and have PEP 658 metadata. */
function simplePage(server: StaticRegistryServer, project: FixtureProject): string {
  const files = Object.values(project.releases).flatMap(release =>
    release.files.map(file => {
      const wheel = file.filename.endsWith('.whl');
      return {
        filename: file.filename,
        url: wheel ? `../../packages/${file.filename}` : `${server.url}/packages/${file.filename}`,
        hashes: { sha256: sha256Of(file.filename) },
        'requires-python': '>=3.8',
        'core-metadata': wheel ? { sha256: 'unchecked' } : false,
        yanked: file.yanked ? 'broken' : false,
        size: Buffer.byteLength(fixtureFileBody(file.filename)),
        'upload-time': release.uploaded,
      };
    }),
  );
  return JSON.stringify({
    meta: { 'api-version': '1.1' },
    name: normalize(project.name),
    versions: Object.keys(project.releases),
    files,
  });
}

/**
 * Publishes a project: its JSON API documents (project and per release),
 * its PEP 691 simple page, its files and their core metadata.
 */
export function publishProject(server: StaticRegistryServer, project: FixtureProject): void {
  const name = normalize(project.name);
  const releases = Object.fromEntries(
    Object.entries(project.releases).map(([version, release]) => [
      version,
      release.files.map(file => jsonFile(server, file, release.uploaded)),
    ]),
  );
  const info = (version: string) => ({
    name: project.name,
    version,
    requires_dist: project.releases[version].requiresDist,
  });
  const json = { contentType: 'application/json' };
  server.set(`/pypi/${name}/json`, {
    ...json,
    body: JSON.stringify({ info: info(project.latest), releases, urls: releases[project.latest] }),
  });
  for (const version of Object.keys(project.releases)) {
    server.set(`/pypi/${name}/${version}/json`, {
      ...json,
      body: JSON.stringify({ info: info(version), urls: releases[version] }),
    });
    for (const file of project.releases[version].files) {
      server.set(`/packages/${file.filename}`, fixtureFileBody(file.filename));
      if (file.filename.endsWith('.whl')) {
        server.set(`/packages/${file.filename}.metadata`, coreMetadata(project, version));
      }
    }
  }
  server.set(`/simple/${name}/`, {
    contentType: 'application/vnd.pypi.simple.v1+json',
    body: simplePage(server, project),
  });
}

/** Starts a server with every fixture project published. */
export async function startPypiIndex(): Promise<StaticRegistryServer> {
  const server = await StaticRegistryServer.start();
  PROJECTS.forEach(project => publishProject(server, project));
  return server;
}
