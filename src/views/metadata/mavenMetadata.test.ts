import { createMavenMetadataXml, mavenChecksum } from './mavenMetadata';

describe('createMavenMetadataXml', () => {
  it('lists versions in Maven order with latest, release and lastUpdated', () => {
    const xml = createMavenMetadataXml({
      groupId: 'org.example',
      artifactId: 'demo',
      versions: ['1.10', '1.2', '1.9-SNAPSHOT', '2.0-SNAPSHOT', '1.2'],
      lastUpdated: '2024-03-05T06:07:08.123Z',
    });
    expect(xml).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>org.example</groupId>
  <artifactId>demo</artifactId>
  <versioning>
    <latest>2.0-SNAPSHOT</latest>
    <release>1.10</release>
    <versions>
      <version>1.2</version>
      <version>1.9-SNAPSHOT</version>
      <version>1.10</version>
      <version>2.0-SNAPSHOT</version>
    </versions>
    <lastUpdated>20240305060708</lastUpdated>
  </versioning>
</metadata>
`);
  });

  it('computes sidecar digests in hex', () => {
    expect(mavenChecksum('abc', 'sha1')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(mavenChecksum('abc', 'md5')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});
