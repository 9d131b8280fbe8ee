import { encodeFilesSegment, filesBundlePath } from './staticFiles';

describe('files bundle paths', () => {
  it('keeps safe segments and percent-encodes the rest, injectively', () => {
    expect(encodeFilesSegment('gh_2.0.0_Linux_x86_64.tar.gz')).toBe('gh_2.0.0_Linux_x86_64.tar.gz');
    expect(encodeFilesSegment('a b%c')).toBe('a%20b%25c');
    expect(encodeFilesSegment('.hidden')).toBe('%2Ehidden');
    expect(encodeFilesSegment('..')).toBe('%2E.');
    expect(encodeFilesSegment('ü:?')).toBe('%C3%BC%3A%3F');
    const values = ['a b', 'a%20b', 'a%2520b', '.a', '%2Ea', 'A', 'a'];
    expect(new Set(values.map(encodeFilesSegment)).size).toBe(values.length);
    for (const value of values) expect(decodeURIComponent(encodeFilesSegment(value))).toBe(value);
  });

  it('puts every part of the id, the version and the name in its own segment', () => {
    expect(filesBundlePath('github-releases', { artifactId: 'cli/cli', version: 'v2.0.0', name: 'gh 2.zip' })).toBe(
      'files/github-releases/cli/cli/v2.0.0/gh%202.zip',
    );
  });
});
