import { BackpackBackend, startBackpackBackend, TestServer } from '../__testUtils__/backpackBackend';
import { readNpmClosure, startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';
import { expectPreviewOfClosure, expectRunOfClosure } from './__testUtils__/npmClosureRun';

jest.setTimeout(60_000);

// A preview and a run of the real express closure through the REST API,
// over the frozen npm corpus (npm run test:corpus); runs.e2e.test.ts does
// the same with a generated package set.

describe('mirror runs of the npm corpus through the REST API', () => {
  let registry: TestNpmRegistry;
  let backend: BackpackBackend;
  let server: TestServer;

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
    backend = await startBackpackBackend({
      manualScheduler: true,
      backpack: {
        processors: { npm: { registry: registry.url }, maven: { enabled: false } },
        upstream: { retries: 0 },
        allowedHosts: [new URL(registry.url).host],
      },
    });
    server = backend.server;
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
  });

  it('previews the express closure without writing, and a real run then selects the same', async () => {
    const express = {
      name: 'express',
      version: '4.21.2',
      closure: await readNpmClosure('express'),
      artifacts: 70,
    };
    expect(express.closure).toHaveLength(72);
    const preview = await expectPreviewOfClosure(server, express);
    const accepts = preview.artifacts.find((a: { id: string }) => a.id === 'accepts');
    expect(accepts.versions[0].selection).toEqual([
      { type: 'required-by', processor: 'npm', id: 'express', version: '4.21.2', range: '~1.3.8' },
    ]);
    await expectRunOfClosure(server, express);
  });
});
