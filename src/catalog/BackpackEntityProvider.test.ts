import { mockServices } from '@backstage/backend-test-utils';
import { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { RootArtifact } from './BackpackArtifactsClient';
import { BackpackEntityProvider } from './BackpackEntityProvider';

// The mutation logic against a recording connection; the end-to-end suite
// runs the same provider in the real catalog.

const root = (id: string, filter?: string): RootArtifact => ({ processor: 'npm', id, status: 'ok', config: {}, filter });

function setup() {
  let roots: RootArtifact[] = [];
  let failure: Error | undefined;
  let reads = 0;
  const mutations: EntityProviderMutation[] = [];
  const provider = new BackpackEntityProvider({
    listRootArtifacts: async () => {
      reads++;
      if (failure) throw failure;
      return roots;
    },
    entityContext: async () => ({
      baseUrl: 'http://localhost/api/backpack',
      owner: 'group:default/platform',
      namespace: 'default',
      helmRepositories: new Map(),
    }),
    logger: mockServices.logger.mock(),
  });
  return {
    provider,
    mutations,
    reads: () => reads,
    setRoots: (next: RootArtifact[]) => (roots = next),
    fail: (error?: Error) => (failure = error),
    connect: () =>
      provider.connect({
        applyMutation: async mutation => {
          mutations.push(mutation);
        },
        refresh: async () => {},
      }),
  };
}

const names = (entities: Array<{ entity: { metadata: { name: string } } }>) =>
  entities.map(e => e.entity.metadata.name).sort();

describe('BackpackEntityProvider', () => {
  it('refuses to run before the catalog connected it', async () => {
    const { provider } = setup();
    await expect(provider.fullMutation()).rejects.toThrow(/not connected/);
  });

  it('sends only what changed as a delta, and nothing when nothing did', async () => {
    const t = setup();
    await t.connect();
    t.setRoots([root('a'), root('b')]);
    // An instance's first delta has nothing to compare with: a full mutation.
    await t.provider.deltaMutation();
    expect(t.mutations[0].type).toBe('full');

    await t.provider.deltaMutation();
    expect(t.mutations).toHaveLength(1);

    t.setRoots([root('a', '^2.0.0'), root('c')]);
    await t.provider.deltaMutation();
    const delta = t.mutations[1];
    if (delta.type !== 'delta') throw new Error('expected a delta mutation');
    expect(names(delta.added)).toEqual(['npm-a', 'npm-c']);
    expect(delta.removed).toEqual([{ entityRef: 'resource:default/npm-b', locationKey: 'backpack-entity-provider' }]);
  });

  it('changes nothing when Backpack cannot be read', async () => {
    const t = setup();
    await t.connect();
    t.setRoots([root('a')]);
    await t.provider.fullMutation();
    t.fail(new Error('Backpack answered 503'));
    await expect(t.provider.fullMutation()).rejects.toThrow('503');
    await expect(t.provider.deltaMutation()).rejects.toThrow('503');
    expect(t.mutations).toHaveLength(1);
    // Once readable again, the delta compares with what was last applied.
    t.fail(undefined);
    t.setRoots([]);
    await t.provider.deltaMutation();
    expect(t.mutations[1]).toEqual({
      type: 'delta',
      added: [],
      removed: [{ entityRef: 'resource:default/npm-a', locationKey: 'backpack-entity-provider' }],
    });
  });

  it('answers a burst of change signals with one read, and ignores them before it is connected', async () => {
    const t = setup();
    await t.provider.requestDelta();
    expect(t.reads()).toBe(0);
    await t.connect();
    await t.provider.fullMutation();
    t.setRoots([root('a')]);
    await Promise.all([t.provider.requestDelta(), t.provider.requestDelta(), t.provider.requestDelta()]);
    expect(t.reads()).toBe(2);
    expect(t.mutations.map(m => m.type)).toEqual(['full', 'delta']);
    // A signal after that delta started gets a read of its own.
    t.setRoots([]);
    await t.provider.requestDelta();
    expect(t.reads()).toBe(3);
    expect(t.mutations).toHaveLength(3);
  });
});
