import { crateDownloadUrl, indexFilePath, normalizeCrateName, parseIndexFile } from './cargoIndex';

const cksum = 'ab'.repeat(32);

describe('the sparse index layout', () => {
  it('puts index files where Cargo looks for them', () => {
    expect(indexFilePath('a')).toBe('1/a');
    expect(indexFilePath('cc')).toBe('2/cc');
    expect(indexFilePath('Syn')).toBe('3/s/syn');
    expect(indexFilePath('Serde_JSON')).toBe('se/rd/serde_json');
  });

  it('fills the dl template, or appends the default path', () => {
    const record = { name: 'Serde', vers: '1.0.0+build', cksum };
    expect(crateDownloadUrl('https://static.crates.io/crates', record)).toBe(
      'https://static.crates.io/crates/Serde/1.0.0+build/download',
    );
    expect(crateDownloadUrl('https://h/{prefix}/{lowerprefix}/{crate}-{version}.crate?sha={sha256-checksum}', record)).toBe(
      `https://h/Se/rd/se/rd/Serde-1.0.0+build.crate?sha=${cksum}`,
    );
  });

  it('normalises crate names and refuses what cannot be one', () => {
    expect(normalizeCrateName('Serde_Json')).toBe('serde_json');
    for (const bad of ['', '1abc', 'a/b', '../x', 'a'.repeat(65), 'ünicode']) {
      expect(() => normalizeCrateName(bad)).toThrow(/^id: /);
    }
  });

  it('parses index lines and skips what is not a line of the crate, keeping the bytes', () => {
    const good = `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${cksum}","features":{}}`;
    const warnings: string[] = [];
    const lines = parseIndexFile(
      [
        good,
        'not json',
        `{"name":"other","vers":"1.0.0","deps":[],"cksum":"${cksum}"}`,
        `{"name":"demo","vers":"1.1.0","deps":[],"cksum":"short"}`,
        `{"name":"demo","vers":"1.2.0","deps":[{"name":"x"}],"cksum":"${cksum}"}`,
        `{"name":"demo","vers":"1.3.0","deps":[],"cksum":"${cksum}","features":{"f":[1]}}`,
        '',
      ].join('\n'),
      'demo',
      message => warnings.push(message),
    );
    expect(lines.map(l => l.line)).toEqual([good]);
    expect(warnings).toEqual([
      'index line 2 of demo: not JSON',
      "index line 3 of demo: names another crate, 'other'",
      'index line 4 of demo: cksum: not a sha256 hex digest',
      'index line 5 of demo: deps: an entry lacks name or req',
      'index line 6 of demo: features: a value is not a list of strings',
    ]);
  });
});
