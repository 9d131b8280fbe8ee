import { requiresDistFromMetadata } from './coreMetadata';
import { versionFromFilename } from './simpleApi';

describe('simple API helpers', () => {
  it('reads versions from wheel and sdist file names', () => {
    expect(versionFromFilename('foo_bar-2.0-cp311-cp311-win_amd64.whl', 'foo-bar')).toBe('2.0');
    expect(versionFromFilename('foo_bar-1.0.tar.gz', 'foo-bar')).toBe('1.0');
    // Older sdists keep the dashes of the project name.
    expect(versionFromFilename('foo-bar-1.0rc1.zip', 'foo-bar')).toBe('1.0rc1');
    expect(versionFromFilename('Foo.Bar-1.0.post1.tar.gz', 'foo-bar')).toBe('1.0.post1');
    expect(versionFromFilename('foo_bar-1.0-py2.7.egg', 'foo-bar')).toBeUndefined();
    expect(versionFromFilename('other-1.0.tar.gz', 'foo-bar')).toBeUndefined();
  });

  it('reads Requires-Dist from core metadata headers, unfolding continued lines', () => {
    const metadata = [
      'Metadata-Version: 2.1',
      'Name: foo',
      'Requires-Dist: requests>=2;',
      '  python_version >= "3.8"',
      'requires-dist: idna',
      'Summary: x',
      '',
      'Requires-Dist: in-the-description',
    ].join('\r\n');
    expect(requiresDistFromMetadata(metadata)).toEqual([
      'requests>=2; python_version >= "3.8"',
      'idna',
    ]);
  });
});
