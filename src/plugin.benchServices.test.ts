// The memory benchmark's baseline (bench/servicesBackend.js) is a plugin
// that asks for the core services Backpack asks for and does nothing. It is
// plain JavaScript that node runs without the TypeScript transform, so it
// cannot import the list from plugin.ts: this test keeps the two copies the
// same, so that the baseline does not drift from what it stands in for.

import path from 'node:path';

/** The options each `createBackendPlugin` call was given, in order. */
const mockPluginOptions: Array<{ pluginId: string; register(env: unknown): void }> = [];

jest.mock('@backstage/backend-plugin-api', () => {
  const actual = jest.requireActual('@backstage/backend-plugin-api');
  return {
    ...actual,
    createBackendPlugin: (options: (typeof mockPluginOptions)[number]) => {
      mockPluginOptions.push(options);
      return actual.createBackendPlugin(options);
    },
  };
});

// The baseline builds and starts a backend when loaded: only building it is wanted.
jest.mock('@backstage/backend-defaults', () => ({
  createBackend: () => ({ add: () => undefined, start: () => undefined }),
}));

/** The ids of the core services a plugin's init asks for. */
function coreServiceIds(options: (typeof mockPluginOptions)[number]): string[] {
  const deps: Array<{ id: string }> = [];
  options.register({
    registerExtensionPoint: () => undefined,
    registerInit: (init: { deps: Record<string, { id: string }> }) => deps.push(...Object.values(init.deps)),
  });
  return deps
    .map(ref => ref.id)
    .filter(id => id.startsWith('core.'))
    .sort();
}

describe('the memory benchmark baseline', () => {
  it('asks for the same core services as the Backpack plugin', () => {
    jest.isolateModules(() => {
      require('./plugin');
      require(path.resolve(__dirname, '../bench/servicesBackend.js'));
    });
    const [backpack, baseline] = mockPluginOptions;
    expect(backpack.pluginId).toBe('backpack');
    expect(baseline.pluginId).toBe('backpack');
    const expected = coreServiceIds(backpack);
    // A plugin that asks for nothing would make the comparison empty.
    expect(expected).toContain('core.database');
    expect(coreServiceIds(baseline)).toEqual(expected);
  });
});
