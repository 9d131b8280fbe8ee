import { parseChecksumFile } from './checksums';
import { parseMavenMetadata, parsePom } from './pom';

describe('POM and metadata parsing', () => {
  it('keeps versions as strings and reads dependencies, parent and relocation', () => {
    const pom = parsePom(`<?xml version="1.0"?>
      <project xmlns="http://maven.apache.org/POM/4.0.0">
        <parent><groupId>g</groupId><artifactId>p</artifactId><version>1.10</version></parent>
        <artifactId>a</artifactId>
        <properties><x.version>2.0</x.version><empty/></properties>
        <dependencies>
          <dependency><groupId>g</groupId><artifactId>d</artifactId><version>\${x.version}</version><optional>true</optional></dependency>
        </dependencies>
        <distributionManagement><relocation><groupId>h</groupId></relocation></distributionManagement>
      </project>`);
    expect(pom).toEqual({
      groupId: undefined,
      artifactId: 'a',
      version: undefined,
      packaging: undefined,
      parent: { groupId: 'g', artifactId: 'p', version: '1.10' },
      properties: { 'x.version': '2.0', empty: '' },
      dependencies: [{ groupId: 'g', artifactId: 'd', version: '${x.version}', optional: 'true' }],
      dependencyManagement: [],
      relocation: { groupId: 'h', artifactId: undefined, version: undefined },
    });
    expect(() => parsePom('<html></html>')).toThrow(/not a POM/);
  });

  it('reads the version list of maven-metadata.xml, even with one version', () => {
    expect(
      parseMavenMetadata(
        '<metadata><versioning><release>1.0</release><versions><version>1.0</version></versions></versioning></metadata>',
      ),
    ).toEqual({ versions: ['1.0'], latest: undefined, release: '1.0' });
  });

  it('reads checksum sidecars in the formats repositories write', () => {
    const digest = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
    expect(parseChecksumFile(digest, 'sha1')).toEqual({ algorithm: 'sha1', digest });
    expect(parseChecksumFile(`${digest.toUpperCase()}  foo-1.0.jar\n`, 'sha1')?.digest).toBe(digest);
    expect(parseChecksumFile(`SHA1(foo-1.0.jar)= ${digest}`, 'sha1')?.digest).toBe(digest);
    expect(parseChecksumFile('<html>not found</html>', 'sha1')).toBeUndefined();
  });
});
