import { isChecksumFileName, parseChecksumFile } from './checksumFiles';
import { nextLink } from './githubReleasesApi';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('checksum files', () => {
  it('recognises the names release pipelines give them', () => {
    for (const name of ['SHA256SUMS', 'sha256sums.txt', 'checksums.txt', 'tool_1.0.0_checksums.txt', 'x.tar.gz.sha256']) {
      expect(isChecksumFileName(name)).toBe(true);
    }
    for (const name of ['tool.tar.gz', 'SHA256SUMS.sig', 'checksums.txt.asc', 'mychecksums.txt.zip']) {
      expect(isChecksumFileName(name)).toBe(false);
    }
  });

  it('reads sha256sum lines, binary-mode names and bare sidecar digests; drops names declared twice differently', () => {
    const text = [
      `${A}  tool.tar.gz`,
      `${B} *tool.zip`,
      `${A}  ./docs.pdf`,
      `${B}  dist/built.tar.gz`,
      '# a comment',
      `${'c'.repeat(40)}  sha1-only.txt`,
      `${A}  twice.bin`,
      `${B}  twice.bin`,
      '',
    ].join('\n');
    expect(Object.fromEntries(parseChecksumFile('SHA256SUMS', text))).toEqual({
      'tool.tar.gz': A,
      'tool.zip': B.toLowerCase(),
      'docs.pdf': A,
      'built.tar.gz': B.toLowerCase(),
    });
    expect(Object.fromEntries(parseChecksumFile('tool.tar.gz.sha256', `${A}\n`))).toEqual({ 'tool.tar.gz': A });
  });

  it('follows rel="next" of a Link header only', () => {
    expect(nextLink('<https://h/x?page=2>; rel="next", <https://h/x?page=9>; rel="last"')).toBe('https://h/x?page=2');
    expect(nextLink('<https://h/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
