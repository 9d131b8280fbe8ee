import { validateBlobKey } from './blobKeys';
import { fileRefusal, layoutPathProblem, pathSegmentProblem } from './fileRefusal';
import {
  contentAddressedKey,
  encodeKeySegment,
  FileIdentity,
  fileStorageKey,
  isContentAddressedKey,
  isFileStorageKey,
  storageKeyOf,
} from './fileStorageKey';

/** Values built to collide under naive encodings. */
const TRICKY = [
  'a',
  'A',
  'victim-1.0.tar.gz',
  'victim-1.0.tar.gz/x.tar.gz',
  'victim-1.0.tar.gz%2fx.tar.gz',
  'victim-1.0.tar.gz%2Fx.tar.gz',
  'x.tar.gz',
  '/',
  '//',
  '\\',
  'a\\b',
  'a/b',
  'a%2fb',
  'a!b',
  '!b',
  '!B',
  'B',
  '.',
  '..',
  '...',
  '.hidden',
  '%2e',
  '%',
  '%%',
  '!!',
  '',
  ' ',
  'a b',
  'a\u0000b',
  'a\nb',
  'a\u007fb',
  'é', // NFC
  'e\u0301', // NFD of the same
  'É',
  '\ud800', // lone surrogates
  '\udc00',
  '\ud83d\ude00',
  '@scope/name',
  '@scope%2fname',
  'org.example:demo',
  'CON',
  'con',
  'x'.repeat(200),
  'x'.repeat(201),
  'x'.repeat(5000),
  `${'x'.repeat(4999)}y`,
  '1.0.0+build',
  '1!2.0',
];

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('fileStorageKey', () => {
  it('gives different keys, also case-folded, to different tuples built from tricky values', () => {
    const tuples: FileIdentity[] = [];
    for (const [i, value] of TRICKY.entries()) {
      // Each value in each position, the others fixed, and pairs that only
      // differ in where a `/` splits them.
      tuples.push({ processor: 'pypi', artifactId: value, version: '1.0', name: 'f' });
      tuples.push({ processor: 'pypi', artifactId: 'p', version: value, name: 'f' });
      tuples.push({ processor: 'pypi', artifactId: 'p', version: '1.0', name: value });
      tuples.push({ processor: value, artifactId: 'p', version: '1.0', name: 'f' });
      const next = TRICKY[(i + 1) % TRICKY.length];
      tuples.push({ processor: 'npm', artifactId: value, version: next, name: `${value}/${next}` });
      tuples.push({ processor: 'npm', artifactId: `${value}/${next}`, version: value, name: next });
    }
    const seen = new Map<string, string>();
    for (const tuple of tuples) {
      const identity = JSON.stringify(tuple);
      const key = fileStorageKey(tuple);
      // Case-insensitive file systems and ASCII-only keys: no folding can merge two.
      for (const form of [key, key.toLowerCase(), key.toUpperCase()]) {
        const other = seen.get(form);
        if (other !== undefined && other !== identity) {
          throw new Error(`${identity} and ${other} share the key ${form}`);
        }
        seen.set(form, identity);
      }
    }
    expect(new Set(tuples.map(t => JSON.stringify(t))).size).toBe(
      new Set(tuples.map(fileStorageKey)).size,
    );
  });

  it('gives different keys to random tuples over a hostile alphabet', () => {
    const next = random(42);
    const alphabet = ['a', 'A', '/', '\\', '.', '%', '!', '2', 'f', 'F', '\u0000', 'é', '\ud800', '-', '_'];
    const value = () =>
      Array.from({ length: Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const keys = new Map<string, string>();
    const identities = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const tuple = { processor: 'x', artifactId: value(), version: value(), name: value() };
      const identity = JSON.stringify(tuple);
      identities.add(identity);
      const key = fileStorageKey(tuple).toLowerCase();
      const other = keys.get(key);
      if (other !== undefined && other !== identity) throw new Error(`${identity} and ${other} share ${key}`);
      keys.set(key, identity);
    }
    expect(identities.size).toBeGreaterThan(15_000);
    expect(keys.size).toBe(identities.size);
  });

  it('makes keys every blob store accepts: short, ASCII, four safe segments below files/', () => {
    for (const a of TRICKY) {
      for (const b of ['1.0', 'x'.repeat(3000), '..']) {
        const key = fileStorageKey({ processor: a || 'p', artifactId: a, version: b, name: a });
        expect(() => validateBlobKey(key)).not.toThrow();
        expect(Buffer.byteLength(key)).toBeLessThanOrEqual(810);
        expect(key).toMatch(/^[a-z0-9._!%/-]+$/);
        const segments = key.split('/');
        expect(segments).toHaveLength(5);
        expect(segments[0]).toBe('files');
        for (const segment of segments) {
          expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
          expect(segment.startsWith('.')).toBe(false);
        }
        expect(isFileStorageKey(key)).toBe(true);
      }
    }
  });

  it('keeps ordinary names readable', () => {
    expect(
      fileStorageKey({ processor: 'pypi', artifactId: 'requests', version: '2.32.3', name: 'requests-2.32.3.tar.gz' }),
    ).toBe('files/pypi/requests/2.32.3/requests-2.32.3.tar.gz');
    expect(
      fileStorageKey({ processor: 'npm', artifactId: '@types/node', version: '20.1.0+b', name: 'node-20.1.0.tgz' }),
    ).toBe('files/npm/%40types%2fnode/20.1.0%2bb/node-20.1.0.tgz');
    expect(encodeKeySegment('Django')).toBe('!django');
    expect(encodeKeySegment('.x')).toBe('%2ex');
    const long = encodeKeySegment('x'.repeat(300));
    expect(long).toMatch(/^x{120}!![0-9a-f]{64}$/);
    expect(encodeKeySegment('')).toMatch(/^!![0-9a-f]{64}$/);
    expect(isFileStorageKey('pypi/packages/requests-2.32.3.tar.gz')).toBe(false);
  });
});

describe('fileRefusal', () => {
  it('refuses names and versions that are not one path segment, and unsafe layout paths', () => {
    expect(pathSegmentProblem('victim2-1.0.tar.gz/x.tar.gz')).toBe("contains '/'");
    expect(pathSegmentProblem('a\\b')).toBe("contains '\\'");
    expect(pathSegmentProblem('..')).toBe("is '..'");
    expect(pathSegmentProblem('')).toBe('is empty');
    expect(pathSegmentProblem('a\u0001')).toBe('contains a control character');
    expect(pathSegmentProblem('\udc00')).toBe('is not well-formed Unicode');
    expect(pathSegmentProblem('x'.repeat(256))).toBe('is longer than 255 bytes');
    expect(pathSegmentProblem('requests-2.32.3-py3-none-any.whl')).toBeUndefined();
    expect(layoutPathProblem('express/-/express-4.21.2.tgz')).toBeUndefined();
    expect(layoutPathProblem('a//b')).toBe('has a segment that is empty');
    expect(layoutPathProblem('a/../b')).toBe("has a segment that is '..'");
    expect(layoutPathProblem('/etc/passwd')).toBe('is absolute');

    expect(fileRefusal({ name: 'victim2-1.0.tar.gz/x.tar.gz', version: '1.0' })).toBe(
      'Refused: file name "victim2-1.0.tar.gz/x.tar.gz" contains \'/\'; a file name must be one path segment',
    );
    expect(fileRefusal({ name: 'a.jar', version: '../../x' })).toMatch(/^Refused: version "..\/..\/x" contains '\/'/);
    expect(fileRefusal({ name: 'a.jar', version: '1.0', path: 'g/../a.jar' })).toMatch(/^Refused: path /);
    expect(fileRefusal({ name: 'a.jar', version: '1.0', path: 'g/a/1.0/a.jar' })).toBeUndefined();
  });
});

describe('storageKeyOf', () => {
  const identity = { processor: 'oci', artifactId: 'local/app', version: '1.0', name: 'layer' };
  const hex = 'Ab'.repeat(32);

  it('keys a content-addressed file by its sha256, whoever lists it', () => {
    const integrity = { algorithm: 'sha256' as const, digest: hex };
    const key = storageKeyOf({ ...identity, contentAddressed: true, integrity });
    expect(key).toBe(`blobs/sha256/${hex.toLowerCase()}`);
    expect(storageKeyOf({ ...identity, artifactId: 'other/app', name: 'x', contentAddressed: true, integrity })).toBe(key);
    expect(isContentAddressedKey(key)).toBe(true);
    expect(isFileStorageKey(key)).toBe(false);
    expect(() => validateBlobKey(key)).not.toThrow();
  });

  it('keys every other file by its identity, and never into the content-addressed root', () => {
    expect(storageKeyOf(identity)).toBe(fileStorageKey(identity));
    for (const value of TRICKY) {
      const key = storageKeyOf({ ...identity, processor: value || 'x', name: value, version: value });
      expect(isContentAddressedKey(key)).toBe(false);
    }
  });

  it('refuses content addressing without a sha256, and keys that only look content-addressed', () => {
    expect(() => storageKeyOf({ ...identity, contentAddressed: true })).toThrow(/sha256/);
    expect(() =>
      storageKeyOf({ ...identity, contentAddressed: true, integrity: { algorithm: 'sha1', digest: 'ab'.repeat(20) } }),
    ).toThrow(/sha256/);
    expect(() => contentAddressedKey('../../etc')).toThrow();
    expect(isContentAddressedKey(`blobs/sha256/${'a'.repeat(63)}`)).toBe(false);
    expect(isContentAddressedKey(`blobs/sha256/${'a'.repeat(64)}/x`)).toBe(false);
  });
});
