import { ConfigReader } from '@backstage/config';
import { readCatalogModuleSettings } from './catalogConfig';

const read = (catalog: object, rest: object = {}) =>
  readCatalogModuleSettings(new ConfigReader({ backpack: { catalog, ...rest } }));

describe('readCatalogModuleSettings', () => {
  it('has safe defaults', () => {
    const settings = readCatalogModuleSettings(new ConfigReader({}));
    expect(settings).toMatchObject({
      owner: 'group:default/platform',
      namespace: 'default',
      schedule: { frequency: { minutes: 10 } },
      deltaSchedule: { frequency: { seconds: 30 }, scope: 'local' },
      pageSize: 500,
      maxArtifacts: 100_000,
      events: true,
    });
    expect(settings.system).toBeUndefined();
  });

  it('reads owner and system as full entity refs, and schedules', () => {
    const settings = read(
      {
        owner: 'mirror-team',
        system: 'package-mirror',
        schedule: { frequency: { hours: 1 }, timeout: { minutes: 10 } },
        deltaSchedule: { frequency: { minutes: 2 }, timeout: { minutes: 1 } },
      },
      { processors: { helm: { repositories: { bitnami: { url: 'https://charts.bitnami.com/bitnami' } } } } },
    );
    expect(settings.owner).toBe('group:default/mirror-team');
    expect(settings.system).toBe('system:default/package-mirror');
    expect(settings.schedule.frequency).toEqual({ hours: 1 });
    // Each instance diffs against its own snapshot unless told otherwise.
    expect(settings.deltaSchedule).toMatchObject({ frequency: { minutes: 2 }, scope: 'local' });
    expect([...settings.helmRepositories.keys()]).toEqual(['bitnami']);
  });

  it('refuses bad values naming the key', () => {
    expect(() => read({ owner: 'group:a:b/c' })).toThrow(/backpack\.catalog\.owner/);
    expect(() => read({ namespace: 'Not Valid' })).toThrow(/backpack\.catalog\.namespace/);
    expect(() => read({ pageSize: 501 })).toThrow(/backpack\.catalog\.pageSize: must be an integer from 1 to 500/);
    expect(() => read({ maxArtifacts: 0 })).toThrow(/backpack\.catalog\.maxArtifacts/);
  });
});
