import { createNpmPackument, npmDistDigests, npmDistTags } from './npmPackument';

describe('npmDistTags', () => {
  it('keeps upstream tags that name mirrored versions', () => {
    expect(npmDistTags(['1.0.0', '2.0.0-rc.1'], { latest: '1.0.0', next: '2.0.0-rc.1', beta: '3.0.0-beta' })).toEqual({
      latest: '1.0.0',
      next: '2.0.0-rc.1',
    });
  });

  it('makes latest the highest mirrored release when the upstream latest is not mirrored', () => {
    expect(npmDistTags(['1.0.0', '1.10.0', '1.2.0', '2.0.0-rc.1'], { latest: '3.0.0' })).toEqual({
      latest: '1.10.0',
    });
    // Only pre-releases: the highest of them.
    expect(npmDistTags(['2.0.0-rc.1', '2.0.0-rc.2'])).toEqual({ latest: '2.0.0-rc.2' });
  });
});

describe('npmDistDigests', () => {
  it('turns hex digests into SRI and shasum', () => {
    const sha512 = 'ab'.repeat(64);
    expect(
      npmDistDigests([
        { algorithm: 'sha256', digest: 'cd'.repeat(32) },
        { algorithm: 'sha512', digest: sha512 },
        { algorithm: 'sha1', digest: 'ef'.repeat(20) },
      ]),
    ).toEqual({
      integrity: `sha512-${Buffer.from(sha512, 'hex').toString('base64')}`,
      shasum: 'ef'.repeat(20),
    });
    expect(npmDistDigests([{ algorithm: 'md5', digest: '00'.repeat(16) }])).toEqual({});
  });
});

describe('createNpmPackument', () => {
  it('serves the published manifest with the registry fields replaced', () => {
    const packument = createNpmPackument({
      name: 'demo',
      upstreamTags: { latest: '2.0.0' },
      versions: [
        {
          version: '1.0.0',
          manifest: {
            name: 'demo',
            version: '1.0.0',
            _resolved: 'https://elsewhere.test/demo.tgz',
            dist: { tarball: 'https://elsewhere.test/demo.tgz' },
            bin: { demo: 'cli.js' },
            os: ['linux'],
            dependencies: { 'string-width-cjs': 'npm:string-width@^4.2.0' },
          },
          tarball: 'https://mirror.test/npm/demo/-/demo-1.0.0.tgz',
          digests: [{ algorithm: 'sha256', digest: '00'.repeat(32) }],
          publishedAt: '2024-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(packument).toEqual({
      _id: 'demo',
      name: 'demo',
      'dist-tags': { latest: '1.0.0' },
      versions: {
        '1.0.0': {
          _id: 'demo@1.0.0',
          name: 'demo',
          version: '1.0.0',
          bin: { demo: 'cli.js' },
          os: ['linux'],
          dependencies: { 'string-width-cjs': 'npm:string-width@^4.2.0' },
          dist: {
            tarball: 'https://mirror.test/npm/demo/-/demo-1.0.0.tgz',
            integrity: `sha256-${Buffer.alloc(32).toString('base64')}`,
          },
        },
      },
      time: {
        created: '2024-01-01T00:00:00.000Z',
        modified: '2024-01-01T00:00:00.000Z',
        '1.0.0': '2024-01-01T00:00:00.000Z',
      },
    });
  });

  it('falls back to stored dependencies without a manifest', () => {
    const packument = createNpmPackument({
      name: '@scope/demo',
      versions: [
        {
          version: '1.0.0',
          dependencies: [
            { name: 'a', range: '^1.0.0', kind: 'runtime' },
            { name: 'b', range: '~2.0.0', kind: 'optional' },
            { name: 'c', range: '>=3', kind: 'peer' },
          ],
          tarball: 'https://mirror.test/npm/@scope/demo/-/demo-1.0.0.tgz',
          digests: [],
        },
      ],
    });
    expect(packument.versions['1.0.0']).toMatchObject({
      dependencies: { a: '^1.0.0', b: '~2.0.0' },
      optionalDependencies: { b: '~2.0.0' },
      peerDependencies: { c: '>=3' },
    });
    expect(packument).not.toHaveProperty('time');
  });
});
