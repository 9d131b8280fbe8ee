import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipDownload } from '../__testUtils__/nativeClients';
import { buildPythonDistributions } from '../__testUtils__/pythonDistributions';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The PyPI side of a bundle: pip resolves and downloads a project with a
// dependency from python's static file server over the unpacked bundle.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('a bundle as a PyPI index', () => {
  let bundle: ServedBundle | undefined;

  afterAll(async () => {
    await bundle?.stop();
  });

  it('serves pip from a static server over the unpacked bundle', async () => {
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'pypi',
      async seed(seeder, work) {
        const wheels = path.join(work, 'wheels');
        await fs.mkdir(wheels);
        // Real wheels: pip reads METADATA (Requires-Dist) out of them.
        const [app, lib10, lib11] = (
          await buildPythonDistributions(wheels, [
            { name: 'demo-app', version: '1.0', kind: 'wheel', requiresDist: ['demo-lib>=1.0'] },
            { name: 'demo-lib', version: '1.0', kind: 'wheel' },
            { name: 'demo-lib', version: '1.1', kind: 'wheel' },
          ])
        ).map(built => ({ path: `packages/${built.filename}`, content: built.body }));
        await seeder.seed('pypi', 'demo-app', { '1.0': { files: [app] } });
        await seeder.seed('pypi', 'demo-lib', { '1.0': { files: [lib10] }, '1.1': { files: [lib11] } });
      },
    });

    const downloaded = await pipDownload({
      index: `${bundle.server.url}pypi/simple/`,
      project: 'demo-app',
      dest: path.join(bundle.work, 'downloads'),
      cwd: bundle.work,
    });
    expect(downloaded).toEqual(['demo_app-1.0-py3-none-any.whl', 'demo_lib-1.1-py3-none-any.whl']);
  });
});
