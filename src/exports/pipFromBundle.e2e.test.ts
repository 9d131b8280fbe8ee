import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
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

// The PyPI side of a bundle: pip resolves and downloads a project with a
// dependency from python's static file server over the unpacked bundle.

const exec = promisify(execFile);

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

// A minimal valid wheel: pip reads METADATA (Requires-Dist) out of it.
const WHEEL_SCRIPT = `
import sys, zipfile
target, name, version, *requires = sys.argv[1:]
module = name.replace('-', '_')
info = f"{module}-{version}.dist-info"
with zipfile.ZipFile(target, 'w') as wheel:
    wheel.writestr(f"{module}/__init__.py", "")
    wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\\nName: " + name + "\\nVersion: " + version + "\\n" + "".join("Requires-Dist: " + r + "\\n" for r in requires))
    wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\\nGenerator: backpack-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    wheel.writestr(f"{info}/RECORD", "")
`;

async function wheel(directory: string, name: string, version: string, requires: string[] = []) {
  const file = path.join(directory, `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`);
  await exec('python3', ['-c', WHEEL_SCRIPT, file, name, version, ...requires]);
  return { path: `packages/${path.basename(file)}`, content: await fs.readFile(file) };
}

describe('a bundle as a PyPI index', () => {
  let work: string;
  let server: StaticServer | undefined;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-pip-bundle-'));
  });

  afterAll(async () => {
    await server?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('serves pip from a static server over the unpacked bundle', async () => {
    const knex = await databases.init('SQLITE_3');
    const stores = await createBackpackStores({ database: { getClient: async () => knex } });
    const blobStore = new LocalDirectoryBlobStore({ directory: path.join(work, 'blobs') });
    const seeder = new CollectedSeeder(stores, knex, blobStore);
    const wheels = path.join(work, 'wheels');
    await fs.mkdir(wheels);
    await seeder.seed('pypi', 'demo-app', {
      '1.0': { files: [await wheel(wheels, 'demo-app', '1.0', ['demo-lib>=1.0'])] },
    });
    await seeder.seed('pypi', 'demo-lib', {
      '1.0': { files: [await wheel(wheels, 'demo-lib', '1.0')] },
      '1.1': { files: [await wheel(wheels, 'demo-lib', '1.1')] },
    });

    const service = new ExportService({
      stores,
      blobStore,
      logger: mockServices.logger.mock(),
      workerId: 'test',
      processorNames: () => ['pypi'],
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

    // The bundle's root, not pypi/, is served: the pages link files relatively.
    server = await startStaticServer(root);

    const dest = path.join(work, 'downloads');
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^pip_|^(https?|no)_proxy$/i.test(name)),
    );
    await exec(
      'python3',
      [
        '-m',
        'pip',
        'download',
        'demo-app',
        '--index-url',
        `${server.url}pypi/simple/`,
        '--dest',
        dest,
        '--no-cache-dir',
        '--disable-pip-version-check',
      ],
      { env: { ...env, PIP_CONFIG_FILE: os.devNull } },
    );
    expect((await fs.readdir(dest)).sort()).toEqual([
      'demo_app-1.0-py3-none-any.whl',
      'demo_lib-1.1-py3-none-any.whl',
    ]);
  });
});
