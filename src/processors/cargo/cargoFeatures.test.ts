import { activeDependencies, RequestedFeatures } from './cargoFeatures';
import { IndexDependency, IndexRecord } from './cargoIndex';

const dep = (name: string, extra: Partial<IndexDependency> = {}): IndexDependency => ({
  name,
  req: '1',
  features: [],
  optional: false,
  default_features: true,
  target: null,
  kind: 'normal',
  ...extra,
});

const record = (deps: IndexDependency[], features: Record<string, string[]> = {}, features2?: Record<string, string[]>): IndexRecord => ({
  name: 'subject',
  vers: '1.0.0',
  deps,
  cksum: '0'.repeat(64),
  features,
  ...(features2 ? { features2 } : {}),
});

const active = (r: IndexRecord, requested: Partial<RequestedFeatures> = {}) =>
  Object.fromEntries(
    activeDependencies(r, { features: [], defaultFeatures: true, ...requested }, () => true).map(a => [
      a.dependency.name,
      a.requested,
    ]),
  );

describe('activeDependencies', () => {
  const optional = { optional: true };

  it('keeps required dependencies and their declared features', () => {
    const r = record([dep('serde', { features: ['derive'], default_features: false }), dep('opt', optional)]);
    expect(active(r)).toEqual({ serde: { features: ['derive'], defaultFeatures: false } });
  });

  it('enables optional dependencies through default features, dep: entries and implicit features', () => {
    const r = record(
      [dep('a', optional), dep('b', optional), dep('c', optional), dep('d', optional)],
      { default: ['std'], std: ['a'] },
      { extra: ['dep:b'] },
    );
    expect(Object.keys(active(r)).sort()).toEqual(['a']);
    expect(Object.keys(active(r, { defaultFeatures: false })).sort()).toEqual([]);
    expect(Object.keys(active(r, { features: ['extra', 'c'] })).sort()).toEqual(['a', 'b', 'c']);
    // `b` is named by `dep:b`, so it has no implicit feature.
    expect(Object.keys(active(r, { features: ['b'], defaultFeatures: false }))).toEqual([]);
  });

  it('passes dependency features along, from name/feature and name?/feature', () => {
    const r = record(
      [dep('tokio', { ...optional, features: ['rt'] }), dep('serde', optional), dep('log')],
      {},
      { full: ['tokio/macros', 'serde?/derive', 'log/std'] },
    );
    const enabled = active(r, { features: ['full'] });
    expect(enabled.tokio).toEqual({ features: ['macros', 'rt'], defaultFeatures: true });
    expect(enabled.log).toEqual({ features: ['std'], defaultFeatures: true });
    // Weak: Cargo's resolver locks it anyway, so it is mirrored.
    expect(enabled.serde).toEqual({ features: ['derive'], defaultFeatures: true });
  });

  it('ends on cyclic feature maps and ignores unknown features', () => {
    const r = record([dep('a', optional)], { x: ['y'], y: ['x', 'a'] });
    expect(Object.keys(active(r, { features: ['x', 'nope'] }))).toEqual(['a']);
  });

  it('uses the rename to match features and leaves kinds and targets to the caller', () => {
    const r = record([dep('alias', { ...optional, package: 'real' }), dep('dev', { kind: 'dev' })], { f: ['alias/x'] });
    const kept = activeDependencies(r, { features: ['f'], defaultFeatures: true }, d => d.kind !== 'dev');
    expect(kept.map(k => [k.dependency.package, k.requested.features])).toEqual([['real', ['x']]]);
  });
});
