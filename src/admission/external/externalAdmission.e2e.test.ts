import { TestDatabases } from '@backstage/backend-test-utils';
import { resolve } from 'node:path';
import request from 'supertest';
import { AccessBackend, startAccessBackend } from '../../__testUtils__/accessBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const EXAMPLE = resolve(__dirname, '../../../examples/admission-plugin/deny_by_rule.py');

describe('external admission plugins in the backend', () => {
  let backend: AccessBackend;

  afterAll(async () => {
    await backend?.stop();
  });

  it('are configured under backpack.admission.external and loaded by the default features', async () => {
    backend = await startAccessBackend({
      knex: await databases.init('SQLITE_3'),
      backpack: {
        admission: {
          external: [
            {
              name: 'rules',
              command: ['python3', EXAMPLE],
              env: { RULES: JSON.stringify([{ processor: 'test', id: '^lib$', reason: 'not this one' }]) },
            },
          ],
        },
      },
    });
    await backend.addRoot({ processor: 'test', id: 'app' });
    const versions = await request(backend.server).get('/api/backpack/artifacts/test/lib/versions');
    expect(versions.body.items).toEqual([
      expect.objectContaining({
        version: '1.0.0',
        status: 'denied',
        admission: expect.objectContaining({
          decision: 'deny',
          reasons: [{ check: 'rules', decision: 'deny', reason: 'not this one' }],
        }),
      }),
    ]);
    const app = await request(backend.server).get('/api/backpack/artifacts/test/app');
    expect(app.body.dependencies).toEqual([
      expect.objectContaining({
        id: 'lib',
        unresolvable: "no allowed version of 'lib' satisfies '^1.0.0': 1.0.0 denied (rules: not this one)",
      }),
    ]);
  });
});
