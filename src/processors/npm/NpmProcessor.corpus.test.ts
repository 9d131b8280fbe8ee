import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { startNpmCorpusVerdaccio } from '../../__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../../__testUtils__/verdaccio';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh, version } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createNpmProcessor } from './NpmProcessor';

// Discovery of real packuments from the frozen npm corpus (npm run test:corpus).

const logger = mockServices.logger.mock();

describe('createNpmProcessor over the npm corpus', () => {
  let registry: TestNpmRegistry;
  let npm: BackpackProcessor;
  const discover = (id: string) => npm.discover({ id, config: {} }, { logger });

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
    npm = createNpmProcessor({
      config: new ConfigReader({ registry: registry.url }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('discovers every version of express with tarballs, integrity and dependencies', async () => {
    const result = fresh(await discover('express'));
    expect(result.versions).toHaveLength(290);
    expect(result.tags).toEqual({ latest: '5.3.0' });
    expect(result.validators?.etag).toMatch(/^"[0-9a-f]+"$/);

    const v = version(result, '4.21.2');
    expect(v.files).toEqual([
      {
        name: 'express-4.21.2.tgz',
        uri: `${registry.url}/express/-/express-4.21.2.tgz`,
        path: 'express/-/express-4.21.2.tgz',
        integrity: {
          algorithm: 'sha512',
          digest:
            'dbc1ea80c6409a28750b3b7d9f2eeaafa7a4daa75d17815c95b333c21091101e8e15f1fead7027b8d0b0a35ff016faed6e0b100dbe2449b5fd75ef6515bad79c',
        },
      },
    ]);
    expect(v.dependencies).toHaveLength(31);
    expect(v.dependencies).toContainEqual({
      processor: 'npm',
      id: 'accepts',
      range: '~1.3.8',
      kind: 'runtime',
      config: {},
    });
    expect(v.dependencies.every(d => d.kind === 'runtime' && !d.unresolvable)).toBe(true);
    expect(v.publishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('discovers scoped packages', async () => {
    const v = version(await discover('@jest/types'), '29.6.3');
    expect(v.files).toEqual([
      expect.objectContaining({
        name: 'types-29.6.3.tgz',
        uri: `${registry.url}/@jest/types/-/types-29.6.3.tgz`,
        path: '@jest/types/-/types-29.6.3.tgz',
      }),
    ]);
    expect(v.dependencies).toContainEqual(
      expect.objectContaining({ id: '@jest/schemas', range: '^29.6.3' }),
    );
    // The tarball URL the processor hands to the collector really serves the file.
    const tarball = await fetch(v.files[0].uri);
    expect(tarball.status).toBe(200);
    await tarball.arrayBuffer();
  });
});
