import { ClosureArtifact } from '../closure/ClosureResolver';
import { StoredDependency, StoredVersion } from '../database/VersionGraphStore';
import { ArtifactDependency } from '../types';
import { resolutionsToRecord } from './resolutionsToRecord';

const dependency = (id: string, resolved: string[], unresolvable?: string): ArtifactDependency => ({
  processor: 'npm',
  id,
  range: '^1.0.0',
  kind: 'runtime',
  config: {},
  resolved,
  ...(unresolvable ? { unresolvable } : {}),
});

const artifact = (versions: Record<string, ArtifactDependency[]>) =>
  ({
    selected: Object.entries(versions).map(([version, dependencies]) => ({ version, selection: [], dependencies })),
  }) as unknown as ClosureArtifact;

const stored = (version: string, status: string, dependencies: StoredDependency[]) =>
  ({ version, status, dependencies }) as unknown as StoredVersion;

describe('resolutionsToRecord', () => {
  it('leaves out the resolutions the store holds unchanged, and those stored with their versions after the walk', () => {
    const walked = artifact({
      '1.0.0': [dependency('same', ['1.2.0']), dependency('moved', ['1.3.0']), dependency('healed', ['1.0.0'])],
      '2.0.0': [dependency('same', ['1.2.0'])],
      '3.0.0': [dependency('described', ['1.0.0'])],
    });
    const held = [
      stored('1.0.0', 'selected', [
        dependency('same', ['1.2.0']),
        dependency('moved', ['1.2.0']),
        dependency('healed', [], 'upstream down'),
      ]),
      // Stored, but not selected before: its dependencies were not read.
      stored('2.0.0', 'discovered', []),
    ];
    const recorded = resolutionsToRecord(walked, 7, new Set(['7\u00003.0.0']), held);
    expect(recorded.map(r => `${r.version} ${r.id} ${r.resolved.join(',')}`)).toEqual([
      '1.0.0 moved 1.3.0',
      '1.0.0 healed 1.0.0',
      '2.0.0 same 1.2.0',
    ]);
  });

  it('records every resolution when nothing was read back (a full discovery), or when the stored one is ambiguous', () => {
    const walked = artifact({ '1.0.0': [dependency('a', ['1.0.0']), dependency('b', [], 'unknown package')] });
    expect(resolutionsToRecord(walked, 1, new Set(), undefined)).toHaveLength(2);
    // The processor's own reason masks a run's error in what was read back.
    const declared = { ...dependency('b', [], 'unknown package'), declaredUnresolvable: 'unknown package' };
    const held = [stored('1.0.0', 'selected', [dependency('a', ['1.0.0']), declared])];
    expect(resolutionsToRecord(walked, 1, new Set(), held).map(r => r.id)).toEqual(['b']);
    // Declared twice with the same key: the store keeps one row, so both are recorded.
    const twice = [stored('1.0.0', 'selected', [dependency('a', ['1.0.0']), dependency('a', ['1.0.0'])])];
    expect(resolutionsToRecord(artifact({ '1.0.0': [dependency('a', ['1.0.0'])] }), 1, new Set(), twice)).toHaveLength(1);
  });
});
