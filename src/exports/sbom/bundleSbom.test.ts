import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createBackpackStores } from '../../database/createBackpackStores';
import { LocalDirectoryBlobStore } from '../../storage/LocalDirectoryBlobStore';
import {
  CollectedSeeder,
  downloadBundle,
  npmTarball,
  runVerify,
  SeedVersion,
  testExportService,
  unpackBundle,
} from '../__testUtils__/bundleFiles';
import { cycloneDxSchemaErrors } from '../__testUtils__/cycloneDxSchema';
import { ExportService } from '../ExportService';

// The CycloneDX SBOM of a bundle (sbom.cdx.json) and of one root's closure:
// schema-valid, listing exactly the bundle's collected files with their
// hashes, package URLs, licenses where known and the resolved edges.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

interface CdxComponent {
  'bom-ref': string;
  name: string;
  version?: string;
  purl?: string;
  licenses?: Array<{ license: { id?: string; name?: string } }>;
  hashes?: Array<{ alg: string; content: string }>;
  components?: CdxComponent[];
}
interface CdxBom {
  bomFormat: string;
  specVersion: string;
  components?: CdxComponent[];
  dependencies?: Array<{ ref: string; dependsOn?: string[] }>;
}

const npmPackage = (name: string, version: string, extra: Record<string, unknown>, dependencies: Record<string, string> = {}): SeedVersion => ({
  files: [
    {
      path: `${name}/-/${name.split('/').pop()}-${version}.tgz`,
      content: npmTarball({ name, version, dependencies, ...extra }),
    },
  ],
  dependencies: Object.entries(dependencies).map(([id, range]) => ({ processor: 'npm', id, range, kind: 'runtime' as const })),
});

const fileComponents = (bom: CdxBom) => (bom.components ?? []).flatMap(c => c.components ?? []);
const dependsOn = (bom: CdxBom) =>
  Object.fromEntries((bom.dependencies ?? []).filter(d => d.dependsOn?.length).map(d => [d.ref, d.dependsOn]));

describe('SBOMs', () => {
  let work: string;
  let service: ExportService;
  let blobStore: LocalDirectoryBlobStore;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-sbom-'));
    const knex = await databases.init('SQLITE_3');
    const stores = await createBackpackStores({ database: { getClient: async () => knex } });
    blobStore = new LocalDirectoryBlobStore({ directory: path.join(work, 'blobs') });
    const seeder = new CollectedSeeder(stores, knex, blobStore);
    await seeder.seed('npm', '@bp/app', {
      '1.0.0': npmPackage('@bp/app', '1.0.0', { license: 'MIT' }, { 'bp-lib': '^1.0.0' }),
    });
    await seeder.seed('npm', 'bp-lib', {
      '1.0.0': npmPackage('bp-lib', '1.0.0', { license: { type: 'Apache-2.0' } }),
      '1.1.0': npmPackage('bp-lib', '1.1.0', {}),
    });
    await seeder.seed('maven', 'org.example:demo', {
      '1.0': {
        files: [
          { path: 'org/example/demo/1.0/demo-1.0.jar', content: Buffer.from('jar bytes') },
          { path: 'org/example/demo/1.0/demo-1.0.pom', content: Buffer.from('<project/>') },
        ],
      },
    });
    // The run's resolution: ^1.0.0 went to 1.1.0.
    const app = (await stores.artifacts.getArtifact('npm', '@bp/app'))!;
    await stores.versions.setResolutions(app.ref, [
      { version: '1.0.0', processor: 'npm', id: 'bp-lib', kind: 'runtime', range: '^1.0.0', resolved: ['1.1.0'] },
    ]);
    // A license the last run recorded from the upstream's metadata, where the tarball has none.
    const lib = (await stores.artifacts.getArtifact('npm', 'bp-lib'))!;
    await stores.admissions.recordFacts(lib.ref, [{ version: '1.1.0', facts: { license: 'ISC' } }]);
    service = testExportService({ stores, blobStore, processors: ['npm', 'maven'], partSizeBytes: 1 << 20 });
  });

  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('comes with every bundle, lists exactly its collected files, and validates against the CycloneDX schema', async () => {
    const created = await service.createExport({});
    await service.drain();
    const directory = path.join(work, 'bundle');
    const manifest = await downloadBundle(blobStore, created.id, directory);
    expect(manifest.sbom).toBe('sbom.cdx.json');
    expect(manifest.files.map(f => f.path)).toContain('sbom.cdx.json');
    expect((await runVerify(directory)).code).toBe(0);
    const root = path.join(work, 'unpacked');
    await unpackBundle(directory, manifest, root);
    const text = await fs.readFile(path.join(root, 'sbom.cdx.json'), 'utf8');
    expect(cycloneDxSchemaErrors(text)).toEqual([]);
    const bom = JSON.parse(text) as CdxBom;
    // The validator does refuse what the schema does not allow.
    expect(cycloneDxSchemaErrors(JSON.stringify({ ...bom, components: [{ type: 'no-such-type', name: 'x' }] }))).not.toEqual([]);
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: `urn:uuid:${created.id}` });

    // Collected files (those with `verified`), not the generated metadata and sidecars.
    const collected = manifest.files.filter(f => f.verified !== undefined);
    expect(collected.map(f => f.path)).toContain('maven/org/example/demo/1.0/demo-1.0.jar');
    expect(fileComponents(bom).map(f => f.name).sort()).toEqual(collected.map(f => f.path).sort());
    for (const file of fileComponents(bom)) {
      expect(file.hashes).toContainEqual({ alg: 'SHA-256', content: collected.find(f => f.path === file.name)!.sha256 });
      expect(file.hashes?.map(h => h.alg)).toContain('SHA-512');
    }

    const components = Object.fromEntries((bom.components ?? []).map(c => [c['bom-ref'], c]));
    expect(Object.keys(components).sort()).toEqual([
      'maven:org.example:demo@1.0',
      'npm:@bp/app@1.0.0',
      'npm:bp-lib@1.0.0',
      'npm:bp-lib@1.1.0',
    ]);
    expect(components['npm:@bp/app@1.0.0']).toMatchObject({
      name: '@bp/app',
      version: '1.0.0',
      purl: 'pkg:npm/%40bp/app@1.0.0',
      licenses: [{ license: { id: 'MIT' } }],
    });
    expect(components['npm:bp-lib@1.0.0'].licenses).toEqual([{ license: { id: 'Apache-2.0' } }]);
    expect(components['npm:bp-lib@1.1.0'].licenses).toEqual([{ license: { id: 'ISC' } }]);
    expect(components['maven:org.example:demo@1.0'].purl).toBe('pkg:maven/org.example/demo@1.0');
    expect(dependsOn(bom)).toEqual({ 'npm:@bp/app@1.0.0': ['npm:bp-lib@1.1.0'] });
  });

  it('describes one root closure as the bundle does, within what the caller may read', async () => {
    const text = await service.artifactSbom({ processor: 'npm', id: '@bp/app' }, () => true);
    expect(cycloneDxSchemaErrors(text)).toEqual([]);
    const bom = JSON.parse(text) as CdxBom;
    expect((bom.components ?? []).map(c => c['bom-ref']).sort()).toEqual(['npm:@bp/app@1.0.0', 'npm:bp-lib@1.1.0']);
    expect(bom.components?.find(c => c['bom-ref'] === 'npm:bp-lib@1.1.0')?.licenses).toEqual([{ license: { id: 'ISC' } }]);
    expect(fileComponents(bom).map(f => f.name).sort()).toEqual([
      'npm/-/@bp/app/1.0.0/app-1.0.0.tgz',
      'npm/-/bp-lib/1.1.0/bp-lib-1.1.0.tgz',
    ]);
    expect(dependsOn(bom)).toEqual({ 'npm:@bp/app@1.0.0': ['npm:bp-lib@1.1.0'] });

    const rootOnly = JSON.parse(
      await service.artifactSbom({ processor: 'npm', id: '@bp/app' }, artifact => artifact.id === '@bp/app'),
    ) as CdxBom;
    expect((rootOnly.components ?? []).map(c => c['bom-ref'])).toEqual(['npm:@bp/app@1.0.0']);
    expect(dependsOn(rootOnly)).toEqual({});
  });
});
