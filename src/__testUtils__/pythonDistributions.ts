import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { StaticRegistryServer } from './staticRegistryServer';

const exec = promisify(execFile);

/** One release of a test project and how it is distributed. */
export interface PythonRelease {
  /** The project name as registered (normalised for URLs). */
  name: string;
  version: string;
  requiresDist?: string[];
  requiresPython?: string;
  /**
   * `wheel`: a pure-Python `py3-none-any` wheel. `sdist`: a source
   * distribution whose in-tree PEP 517 backend (no build requirements) lets
   * pip prepare its metadata offline.
   */
  kind: 'wheel' | 'sdist';
}

/** A built file: its name, bytes and the release it belongs to. */
export interface PythonDistribution {
  release: PythonRelease;
  filename: string;
  body: Buffer;
  sha256: string;
}

// Wheels are zips with METADATA, WHEEL and a RECORD of sha256 digests;
// Python's zipfile and tarfile write them exactly as the formats require.
const BUILD_SCRIPT = String.raw`
import base64, hashlib, io, json, os, sys, tarfile, zipfile

def metadata(r):
    lines = ['Metadata-Version: 2.1', 'Name: ' + r['name'], 'Version: ' + r['version']]
    if r.get('requiresPython'):
        lines.append('Requires-Python: ' + r['requiresPython'])
    lines += ['Requires-Dist: ' + d for d in r.get('requiresDist', [])]
    return '\n'.join(lines) + '\n'

def module(r):
    return r['name'].lower().replace('-', '_').replace('.', '_')

def wheel_files(r):
    dist_info = '%s-%s.dist-info' % (module(r), r['version'])
    files = {
        module(r) + '/__init__.py': '__version__ = %r\n' % r['version'],
        dist_info + '/METADATA': metadata(r),
        dist_info + '/WHEEL': 'Wheel-Version: 1.0\nGenerator: backpack-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    }
    record = []
    for name, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
        record.append('%s,sha256=%s,%d' % (name, digest, len(data)))
    record.append(dist_info + '/RECORD,,')
    files[dist_info + '/RECORD'] = '\n'.join(record) + '\n'
    return files

def write_wheel(r, path):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, text in wheel_files(r).items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            z.writestr(info, text)

BACKEND = '''
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
RELEASE = json.loads(%r)
def get_requires_for_build_wheel(config_settings=None):
    return []
def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    import build_helper
    name = '%%s-%%s.dist-info' %% (build_helper.module(RELEASE), RELEASE['version'])
    os.makedirs(os.path.join(metadata_directory, name))
    with open(os.path.join(metadata_directory, name, 'METADATA'), 'w') as f:
        f.write(build_helper.metadata(RELEASE))
    return name
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import build_helper
    name = '%%s-%%s-py3-none-any.whl' %% (build_helper.module(RELEASE), RELEASE['version'])
    build_helper.write_wheel(RELEASE, os.path.join(wheel_directory, name))
    return name
'''

def write_sdist(r, path):
    root = '%s-%s' % (module(r), r['version'])
    # The sdist's backend builds with this very script.
    helper = open(__file__).read()
    files = {
        'PKG-INFO': metadata(r),
        'pyproject.toml': '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        'backend.py': BACKEND % json.dumps(r),
        'build_helper.py': helper,
    }
    with tarfile.open(path, 'w:gz', format=tarfile.PAX_FORMAT) as t:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(root + '/' + name)
            info.size = len(data)
            info.mtime = 1704067200
            t.addfile(info, io.BytesIO(data))

if __name__ == '__main__':
    out = sys.argv[1]
    for r in json.loads(sys.argv[2]):
        if r['kind'] == 'wheel':
            name = '%s-%s-py3-none-any.whl' % (module(r), r['version'])
            write_wheel(r, os.path.join(out, name))
        else:
            name = '%s-%s.tar.gz' % (module(r), r['version'])
            write_sdist(r, os.path.join(out, name))
        print(name)
`;

/**
 * Builds real wheels and source distributions with python3 into `dir`
 * (which must exist), in the order given.
 */
export async function buildPythonDistributions(
  dir: string,
  releases: PythonRelease[],
): Promise<PythonDistribution[]> {
  const script = path.join(dir, 'build_helper.py');
  await fs.writeFile(script, BUILD_SCRIPT);
  const { stdout } = await exec('python3', [script, dir, JSON.stringify(releases)], {
    cwd: dir,
  });
  const names = stdout.trim().split('\n');
  return Promise.all(
    releases.map(async (release, i) => {
      const body = await fs.readFile(path.join(dir, names[i]));
      return {
        release,
        filename: names[i],
        body,
        sha256: createHash('sha256').update(body).digest('hex'),
      };
    }),
  );
}

const normalize = (name: string) => name.replace(/[-_.]+/g, '-').toLowerCase();

/**
 * Publishes built distributions on a static server in the shape of PyPI's
 * JSON API (project and per-release documents) with the files under
 * `/packages/`.
 */
export function publishPythonDistributions(
  server: StaticRegistryServer,
  distributions: PythonDistribution[],
): void {
  const projects = new Map<string, PythonDistribution[]>();
  for (const distribution of distributions) {
    const key = normalize(distribution.release.name);
    projects.set(key, [...(projects.get(key) ?? []), distribution]);
  }
  for (const [name, files] of projects) {
    const releases: Record<string, unknown[]> = {};
    for (const file of files) {
      server.set(`/packages/${file.filename}`, file.body);
      releases[file.release.version] = [
        ...(releases[file.release.version] ?? []),
        {
          filename: file.filename,
          url: `${server.url}/packages/${file.filename}`,
          packagetype: file.release.kind === 'wheel' ? 'bdist_wheel' : 'sdist',
          digests: { sha256: file.sha256 },
          size: file.body.length,
          yanked: false,
          requires_python: file.release.requiresPython ?? null,
          upload_time_iso_8601: '2024-01-01T00:00:00.000000Z',
        },
      ];
    }
    const info = (version: string) => {
      const release = files.find(f => f.release.version === version)!.release;
      return {
        name: release.name,
        version,
        requires_dist: release.requiresDist ?? null,
        requires_python: release.requiresPython ?? null,
      };
    };
    const versions = Object.keys(releases);
    const latest = versions[versions.length - 1];
    server.set(`/pypi/${name}/json`, {
      contentType: 'application/json',
      body: JSON.stringify({ info: info(latest), releases, urls: releases[latest] }),
    });
    for (const version of versions) {
      server.set(`/pypi/${name}/${version}/json`, {
        contentType: 'application/json',
        body: JSON.stringify({ info: info(version), urls: releases[version] }),
      });
    }
  }
}
