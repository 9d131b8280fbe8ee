import { cycloneDxSchemaErrors } from '../__testUtils__/cycloneDxSchema';
import { SbomDocument } from './SbomDocument';

const sha = (c: string) => c.repeat(64);

describe('SbomDocument', () => {
  it('lists a shared object once per image, and only edges between versions it lists', () => {
    const sbom = new SbomDocument({ timestamp: new Date('2026-11-01T00:00:00Z'), name: 'test' });
    const blob = { path: `oci/blobs/sha256/${sha('a')}`, sha256: sha('a') };
    sbom.add({ processor: 'oci', id: 'docker.io/library/app', version: '1.0', files: [blob, blob], dependencies: [] });
    sbom.add({ processor: 'oci', id: 'docker.io/library/app', version: '1.0', files: [blob], dependencies: [] });
    sbom.add({
      processor: 'oci',
      id: 'docker.io/library/app',
      version: '1.1',
      files: [blob, { path: `oci/blobs/sha256/${sha('b')}`, sha256: sha('b') }],
      dependencies: [],
    });
    sbom.add({
      processor: 'helm',
      id: 'app',
      version: '2.0.0',
      files: [{ path: 'helm/charts/app/2.0.0/app-2.0.0.tgz', sha256: sha('c'), integrity: { algorithm: 'sha1', digest: 'd'.repeat(40) } }],
      dependencies: [
        { processor: 'oci', id: 'docker.io/library/app', range: '1.1', kind: 'runtime', config: {}, resolved: ['1.1'] },
        { processor: 'oci', id: 'docker.io/library/other', range: '2', kind: 'runtime', config: {}, resolved: ['2'] },
      ],
      license: 'Some Custom License',
    });
    const json = sbom.toJson();
    expect(cycloneDxSchemaErrors(json)).toEqual([]);
    const bom = JSON.parse(json);
    const byRef = Object.fromEntries(bom.components.map((c: any) => [c['bom-ref'], c]));
    expect(byRef['oci:docker.io/library/app@1.0']).toMatchObject({ type: 'container', components: [{ name: blob.path }] });
    expect(byRef['oci:docker.io/library/app@1.1'].components).toHaveLength(2);
    expect(byRef['helm:app@2.0.0']).toMatchObject({
      purl: 'pkg:generic/helm/app@2.0.0',
      licenses: [{ license: { name: 'Some Custom License' } }],
      components: [{ hashes: [{ alg: 'SHA-1', content: 'd'.repeat(40) }, { alg: 'SHA-256', content: sha('c') }] }],
    });
    const edges = bom.dependencies.filter((d: any) => d.dependsOn);
    expect(edges).toEqual([{ ref: 'helm:app@2.0.0', dependsOn: ['oci:docker.io/library/app@1.1'] }]);
    // Equal content, equal bytes.
    expect(sbom.toJson()).toBe(json);
  });
});
