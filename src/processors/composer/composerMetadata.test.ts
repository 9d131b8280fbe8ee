import {
  expandMinified,
  isPlatformPackage,
  metadataUrlTemplate,
  normalizeComposerName,
  parsePackageDocument,
} from './composerMetadata';

describe('Composer v2 metadata', () => {
  it('expands minified version lists: each entry inherits from the one before, __unset drops a key', () => {
    const expanded = expandMinified([
      { name: 'acme/lib', version: '2.0.0', require: { php: '>=8.1' }, suggest: { 'ext-intl': 'faster' } },
      { version: '1.1.0', suggest: '__unset' },
      { version: '1.0.0', require: { php: '>=7.4', 'acme/util': '^1.0' } },
      'not an object',
    ]);
    expect(expanded).toEqual([
      { name: 'acme/lib', version: '2.0.0', require: { php: '>=8.1' }, suggest: { 'ext-intl': 'faster' } },
      { name: 'acme/lib', version: '1.1.0', require: { php: '>=8.1' } },
      { name: 'acme/lib', version: '1.0.0', require: { php: '>=7.4', 'acme/util': '^1.0' } },
    ]);
  });

  it('reads versions, dists and requirements of one package, dropping what does not fit', () => {
    const document = {
      minified: 'composer/2.0',
      packages: {
        'Acme/Lib': [
          {
            version: 'v1.0.0',
            time: '2024-02-03T04:05:06+00:00',
            dist: { type: 'zip', url: 'https://example.test/a.zip', reference: 'abc', shasum: 'A'.repeat(40) },
            require: { php: '^8.1', 'acme/util': '^1.0', bad: 3 },
            'require-dev': { 'phpunit/phpunit': '^10' },
          },
          { version: 'v0.9.0', dist: { type: 'zip', url: 'https://example.test/b.zip', shasum: '' }, 'require-dev': '__unset' },
          { version: 42 },
        ],
      },
    };
    const parsed = parsePackageDocument(document, 'acme/lib');
    // The expanded entry is kept whole, for the view.
    expect(parsed[1].raw).toEqual({
      version: 'v0.9.0',
      time: '2024-02-03T04:05:06+00:00',
      dist: { type: 'zip', url: 'https://example.test/b.zip', shasum: '' },
      require: { php: '^8.1', 'acme/util': '^1.0', bad: 3 },
    });
    expect(parsed.map(({ raw: _raw, ...rest }) => rest)).toEqual([
      {
        version: 'v1.0.0',
        time: '2024-02-03T04:05:06.000Z',
        dist: { type: 'zip', url: 'https://example.test/a.zip', reference: 'abc', shasum: 'a'.repeat(40) },
        require: { php: '^8.1', 'acme/util': '^1.0' },
        requireDev: { 'phpunit/phpunit': '^10' },
      },
      {
        version: 'v0.9.0',
        time: '2024-02-03T04:05:06.000Z',
        // Keys are replaced whole, not merged; an empty shasum (Packagist's GitHub dists) is no digest.
        dist: { type: 'zip', url: 'https://example.test/b.zip' },
        require: { php: '^8.1', 'acme/util': '^1.0' },
        requireDev: {},
      },
    ]);
    expect(parsePackageDocument({ packages: { other: [] } }, 'acme/lib')).toEqual([]);
    expect(parsePackageDocument('nonsense', 'acme/lib')).toEqual([]);
  });

  it('resolves metadata-url as Composer does, host-relative or absolute', () => {
    expect(metadataUrlTemplate({ 'metadata-url': '/p2/%package%.json' }, 'https://repo.example/sub/packages.json')).toBe(
      'https://repo.example/p2/%package%.json',
    );
    expect(metadataUrlTemplate({ 'metadata-url': 'https://cdn.example/p2/%package%.json' }, 'https://repo.example/packages.json')).toBe(
      'https://cdn.example/p2/%package%.json',
    );
    expect(metadataUrlTemplate({ packages: {} }, 'https://repo.example/packages.json')).toBeUndefined();
    expect(metadataUrlTemplate({ 'metadata-url': '/p2/x.json' }, 'https://repo.example/packages.json')).toBeUndefined();
  });

  it('knows package names and platform packages', () => {
    expect(normalizeComposerName('Symfony/Console')).toBe('symfony/console');
    expect(normalizeComposerName('psr/http-message')).toBe('psr/http-message');
    for (const bad of ['console', 'a/b/c', '../x', 'a/', 'a b/c']) expect(normalizeComposerName(bad)).toBeUndefined();
    for (const name of ['php', 'php-64bit', 'ext-json', 'ext-pdo_mysql', 'lib-icu', 'composer-plugin-api', 'composer-runtime-api']) {
      expect(isPlatformPackage(name)).toBe(true);
    }
    expect(isPlatformPackage('phpunit/phpunit')).toBe(false);
    expect(isPlatformPackage('php-http/client')).toBe(false);
  });
});
