import { z } from 'zod';
import { createNpmProcessor } from './npm/NpmProcessor';
import { semverScheme } from './npm/semverScheme';
import { ProcessorRegistry } from './ProcessorRegistry';
import { ProcessorFile, ProcessorVersion } from './types';
import { UpstreamClient } from '../upstream/UpstreamClient';
import { checkDiscoveryOutput, MAX_WARNINGS } from './discoveryOutput';

const processors = new ProcessorRegistry();
processors.add(createNpmProcessor({ upstream: new UpstreamClient() }));
processors.add({
  name: 'module',
  description: 'A module processor without normalizeId',
  configSchema: z.object({}),
  versions: semverScheme,
  discover: async () => ({ notModified: false, versions: [] }),
});

const file = (overrides: Partial<ProcessorFile> = {}): ProcessorFile => ({
  name: 'a-1.0.0.tgz',
  uri: 'https://registry.test/a/-/a-1.0.0.tgz',
  path: 'a/-/a-1.0.0.tgz',
  integrity: { algorithm: 'sha256', digest: 'ab'.repeat(32) },
  size: 10,
  ...overrides,
});
const version = (overrides: Partial<ProcessorVersion> = {}): ProcessorVersion => ({
  version: '1.0.0',
  files: [file()],
  dependencies: [],
  ...overrides,
});
const check = (versions: unknown[], extra: { tags?: unknown; validators?: unknown } = {}) =>
  checkDiscoveryOutput({ versions, ...extra }, { processors });

describe('checkDiscoveryOutput', () => {
  it("keeps a version's upstream record verbatim, and drops one that is not a string or too large", () => {
    const line = '{"name":"a","vers":"1.0.0"}';
    expect(check([version({ metadata: line })]).versions).toEqual([version({ metadata: line })]);
    const checked = check([
      version({ metadata: 'x'.repeat(1024 * 1024 + 1) }),
      version({ version: '2.0.0', metadata: { not: 'a string' } as unknown as string }),
    ]);
    expect(checked.versions).toEqual([version(), version({ version: '2.0.0' })]);
    expect(checked.warnings).toEqual([
      'version 1.0.0: metadata dropped: not a string of at most 1048576 bytes',
      'version 2.0.0: metadata dropped: not a string of at most 1048576 bytes',
    ]);
  });

  it('passes a well-formed answer through, with digests in lower case', () => {
    const upper = file({ integrity: { algorithm: 'sha256', digest: 'AB'.repeat(32) } });
    const checked = check([version({ files: [upper] })], {
      tags: { latest: '1.0.0' },
      validators: { etag: '"x"' },
    });
    expect(checked).toEqual({
      versions: [version()],
      tags: { latest: '1.0.0' },
      validators: { etag: '"x"' },
      warnings: [],
    });
  });

  it.each([
    ['name must not contain control characters', { name: 'a\u0000.tgz' }],
    ['name must be at most 512 characters', { name: 'n'.repeat(513) }],
    ['uri is not http(s)', { uri: 'file:///etc/passwd' }],
    ['uri is not a URL', { uri: 'not a url' }],
    ['uri must be at most 4096 characters', { uri: `https://x.test/${'u'.repeat(5000)}` }],
    ['path must be at most 959 characters', { path: 'p'.repeat(1000) }],
    ['integrity digest is not 64 hex digits', { integrity: { algorithm: 'sha256', digest: 'xyz' } }],
    ['integrity algorithm crc32 is not one of sha512, sha384, sha256, sha1, md5, git-blob-sha1', { integrity: { algorithm: 'crc32', digest: 'ab' } }],
    ['size is not a non-negative integer', { size: -1 }],
    ['size is not a non-negative integer', { size: 1.5 }],
    ['contentAddressed without a sha256 integrity', { contentAddressed: true, integrity: { algorithm: 'sha1', digest: 'ab'.repeat(20) } }],
    ['contentAddressed without a sha256 integrity', { contentAddressed: true, integrity: undefined }],
    ['git-blob-sha1 integrity without a size', { integrity: { algorithm: 'git-blob-sha1', digest: 'ab'.repeat(20) }, size: undefined }],
    ['contentAddressed is not a boolean', { contentAddressed: 'yes' }],
    ['skipped is empty', { skipped: '' }],
    ['skipped must be at most 1024 characters', { skipped: 's'.repeat(1025) }],
  ] as const)('drops a file whose %s', (problem, overrides) => {
    const checked = check([version({ files: [file(overrides as Partial<ProcessorFile>), file({ name: 'good.tgz' })] })]);
    expect(checked.versions[0].files.map(f => f.name)).toEqual(['good.tgz']);
    expect(checked.warnings).toHaveLength(1);
    expect(checked.warnings[0]).toMatch(new RegExp(`^version 1\\.0\\.0: file .* dropped: ${problem.replace(/[().]/g, '\\$&')}$`));
  });

  it('keeps a content-addressed file with a sha256 integrity, and a skipped file with its reason', () => {
    const files = [file({ contentAddressed: true }), file({ name: 'foreign', skipped: 'non-distributable layer' })];
    expect(check([version({ files })]).versions[0].files).toEqual(files);
  });

  it("leaves names and paths that are no safe path segment to fileRefusal, which parks them", () => {
    const files = [file({ name: 'a/b.tgz' }), file({ name: '..' }), file({ name: 'c.tgz', path: 'x/../../c.tgz' })];
    const checked = check([version({ files })]);
    expect(checked.versions[0].files).toEqual(files);
    expect(checked.warnings).toEqual([]);
  });

  it('collapses identical duplicates of a file and drops conflicting ones', () => {
    const checked = check([
      version({ files: [file(), file(), file({ name: 'b.tgz' }), file({ name: 'b.tgz', uri: 'https://other.test/b.tgz' })] }),
    ]);
    expect(checked.versions[0].files.map(f => f.name)).toEqual(['a-1.0.0.tgz']);
    expect(checked.warnings).toEqual(['version 1.0.0: file b.tgz dropped: listed 2 times with different contents']);
  });

  it('keeps the first of a version listed twice and says so when they differ', () => {
    const checked = check([version(), version(), version({ files: [] })]);
    expect(checked.versions).toHaveLength(1);
    expect(checked.versions[0].files).toHaveLength(1);
    expect(checked.warnings).toEqual(['version 1.0.0 is listed twice with different contents; the first is kept']);
  });

  it('drops dependencies that cannot be stored and marks ids their processor refuses as unresolvable', () => {
    const dependency = (id: string, range = '^1.0.0', processor = 'npm') => ({
      processor,
      id,
      range,
      kind: 'runtime' as const,
    });
    const checked = check([
      version({
        dependencies: [
          dependency('ok'),
          dependency('../../etc/passwd'),
          dependency('a\\b\\..\\c'),
          dependency('i'.repeat(513)),
          dependency('ok', '1'.repeat(1025)),
          dependency('ok', '^1', 'p'.repeat(65)),
          { ...dependency('ok'), kind: 'dev' as any },
          dependency('../anything', '^1', 'module'),
          dependency('x', '^1', 'unknown-processor'),
          { ...dependency('given-up'), unresolvable: 'unsupported spec: git' },
        ],
      }),
    ]);
    const kept = checked.versions[0].dependencies;
    expect(kept.map(d => [d.processor, d.id, d.unresolvable ?? null])).toEqual([
      ['npm', 'ok', null],
      ['npm', '../../etc/passwd', "invalid id: '../../etc/passwd' is not a valid npm package name"],
      ['npm', 'a\\b\\..\\c', "invalid id: 'a\\b\\..\\c' is not a valid npm package name"],
      // A processor without rules of its own accepts any storable id.
      ['module', '../anything', null],
      // An unknown processor is the walk's to report.
      ['unknown-processor', 'x', null],
      ['npm', 'given-up', 'unsupported spec: git'],
    ]);
    expect(checked.warnings).toHaveLength(6);
  });

  it('checks a dependency object shared between versions once, keeping it shared, and warns per version', () => {
    const shared = { processor: 'npm', id: 'ok', range: '^1.0.0', kind: 'runtime' as const };
    const refused = { processor: 'npm', id: '../x', range: '^1.0.0', kind: 'runtime' as const };
    const checked = check([
      version({ version: '1.0.0', dependencies: [shared, refused] }),
      version({ version: '2.0.0', dependencies: [shared, refused] }),
      version({ version: '3.0.0', dependencies: [{ ...shared }] }),
    ]);
    const [one, two, three] = checked.versions.map(v => v.dependencies);
    expect(one[0]).toBe(two[0]);
    expect(one[1]).toBe(two[1]);
    expect(one[0]).not.toBe(shared);
    expect(three[0]).toEqual(one[0]);
    expect(two[1].unresolvable).toMatch(/^invalid id: /);
    expect(checked.warnings).toEqual([
      "version 1.0.0: dependency npm:../x is unresolvable: invalid id: '../x' is not a valid npm package name",
      "version 2.0.0: dependency npm:../x is unresolvable: invalid id: '../x' is not a valid npm package name",
    ]);
  });

  it('keeps ISO publication dates, rewrites other readable ones and drops the rest', () => {
    const dates = ['2024-01-01T00:00:00.000000Z', 'March 7, 2024 10:00 UTC', 'not a date', '+275760-09-13T00:00:00.000Z'];
    const checked = check(dates.map((publishedAt, i) => version({ version: `${i}.0.0`, publishedAt })));
    expect(checked.versions.map(v => v.publishedAt ?? null)).toEqual([
      '2024-01-01T00:00:00.000000Z',
      '2024-03-07T10:00:00.000Z',
      null,
      null,
    ]);
    expect(checked.warnings).toEqual([
      'version 2.0.0: publication date not a date dropped: not a date',
      'version 3.0.0: publication date +275760-09-13T00:00:00.000Z dropped: not a date',
    ]);
  });

  it('drops malformed tags and validators', () => {
    const checked = check([version()], {
      tags: { latest: '1.0.0', [`t\u0000`]: '1.0.0', next: 'v'.repeat(300) },
      validators: { etag: 'e\u0000' },
    });
    expect(checked.tags).toEqual({ latest: '1.0.0' });
    expect(checked.validators).toBeUndefined();
    expect(checked.warnings).toHaveLength(3);
  });

  it('caps the warnings and counts the rest', () => {
    const versions = Array.from({ length: 30 }, (_, i) => version({ version: `${i}.0.0-${'z'.repeat(300)}` }));
    const checked = check([version(), ...versions]);
    expect(checked.warnings).toHaveLength(MAX_WARNINGS);
    expect(checked.warnings[MAX_WARNINGS - 1]).toBe(`… and ${30 - MAX_WARNINGS + 1} more`);
  });

  it('fails when the upstream listed versions and none is acceptable, but not for an empty list', () => {
    expect(() => check([version({ version: 'v'.repeat(300) }), version({ version: '' })])).toThrow(
      /^every one of the 2 versions the upstream listed was refused: /,
    );
    expect(check([]).versions).toEqual([]);
    expect(() => checkDiscoveryOutput({ versions: 'nope' }, { processors })).toThrow(/no list of versions/);
  });
});
