import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import request from 'supertest';
import { z } from 'zod';
import backpack, {
  backpackModuleNpmProcessor,
  backpackModulePypiProcessor,
  backpackPlugin,
  backpackProcessorsExtensionPoint,
  backpackUrlReaderFactories,
} from '.';
import { semverScheme } from './processors/npm/semverScheme';
import { BackpackProcessor } from './processors/types';

const config = mockServices.rootConfig.factory({
  data: { backpack: { processors: { maven: { enabled: false } } } },
});

function fakeProcessor(name: string, description: string): BackpackProcessor {
  return {
    name,
    description,
    configSchema: z.strictObject({}),
    versions: semverScheme,
    async discover() {
      return { notModified: false, versions: [] };
    },
  };
}

async function processorsOf(features: Parameters<typeof startTestBackend>[0]['features']) {
  const backend = await startTestBackend({ features: [...(features ?? []), config] });
  try {
    const res = await request(backend.server).get('/api/backpack/processors');
    expect(res.status).toBe(200);
    return res.body.items as Array<{ name: string; description: string }>;
  } finally {
    await backend.stop();
  }
}

describe('the package', () => {
  it('loads the plugin with its built-in processors through the default export, honouring enabled: false', async () => {
    const names = (await processorsOf([backpack])).map(p => p.name).sort();
    expect(names).toEqual(['cargo', 'composer', 'files', 'github-releases', 'go', 'helm', 'huggingface', 'npm', 'nuget', 'oci', 'pypi', 'terraform']);
  });

  it('lets a module replace a built-in processor and add its own', async () => {
    const module = createBackendModule({
      pluginId: 'backpack',
      moduleId: 'custom-npm',
      register(env) {
        env.registerInit({
          deps: { processors: backpackProcessorsExtensionPoint },
          async init({ processors }) {
            processors.addProcessor(fakeProcessor('npm', 'an internal npm'));
            processors.addProcessorFactory(({ upstream }) =>
              fakeProcessor('internal', `with a gated client: ${typeof upstream.get}`),
            );
          },
        });
      },
    });
    const items = await processorsOf([
      backpackPlugin,
      backpackUrlReaderFactories,
      backpackModuleNpmProcessor,
      backpackModulePypiProcessor,
      module,
    ]);
    expect(Object.fromEntries(items.map(p => [p.name, p.description]))).toEqual({
      npm: 'an internal npm',
      pypi: expect.stringContaining('Python packages'),
      internal: 'with a gated client: function',
    });
  });
});
