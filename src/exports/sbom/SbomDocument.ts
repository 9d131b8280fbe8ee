import { Enums, Models, Serialize, Spec, SPDX } from '@cyclonedx/cyclonedx-library';
import { ArtifactDependency, FileIntegrity } from '../../types';
import { purlOf } from './purl';

/** A file of a component, by its path in a bundle. */
export interface SbomFile {
  path: string;
  /** Lower-case hex sha256 of its bytes (recorded at collection). */
  sha256?: string;
  /** The upstream's digest, when it declared one. */
  integrity?: FileIntegrity;
}

/** One mirrored version as an SBOM lists it. */
export interface SbomVersion {
  processor: string;
  id: string;
  version: string;
  files: SbomFile[];
  /** What it declares, with the versions each resolved to. */
  dependencies: ArtifactDependency[];
  /** An SPDX expression or license name, when known. */
  license?: string;
}

/** CycloneDX's names of upstream digests; others (git's blob ids) have none. */
const HASHES: Partial<Record<FileIntegrity['algorithm'], Enums.HashAlgorithm>> = {
  md5: Enums.HashAlgorithm.MD5,
  sha1: Enums.HashAlgorithm['SHA-1'],
  sha256: Enums.HashAlgorithm['SHA-256'],
  sha384: Enums.HashAlgorithm['SHA-384'],
  sha512: Enums.HashAlgorithm['SHA-512'],
};

/** An SPDX license when the text is a known SPDX id, else a named one. */
function licenseOf(text: string): Models.License {
  const id = SPDX.fixupSpdxId(text);
  return id ? new Models.SpdxLicense(id) : new Models.NamedLicense(text);
}

/** The version's package URL; none rather than no bundle when one cannot be made of its id. */
function purlOrNone(version: SbomVersion): string | undefined {
  try {
    return purlOf(version.processor, version.id, version.version);
  } catch {
    return undefined;
  }
}

/** A component's bom-ref: `<processor>:<id>@<version>`. */
export const componentRef = (processor: string, id: string, version: string) => `${processor}:${id}@${version}`;

/**
 * A CycloneDX 1.6 SBOM of mirrored versions, built with the CycloneDX
 * library: one component per version (its package URL, license when
 * known), holding one `file` component per file (its path in a bundle and
 * hashes), and the dependency edges the closure resolved between the
 * versions it lists. Edges to versions it does not list (e.g. carried by an
 * earlier bundle) are left out.
 */
export class SbomDocument {
  private readonly versions = new Map<string, SbomVersion>();

  constructor(
    private readonly subject: {
      /** `urn:uuid:…`, e.g. of an export. */
      serialNumber?: string;
      timestamp: Date;
      /** What the SBOM describes: a bundle or a root artifact. */
      name: string;
      version?: string;
    },
  ) {}

  /**
   * Adds a version; files of a version added before are merged, and a path
   * is listed once per version (an OCI object several manifests share).
   */
  add(version: SbomVersion): void {
    const ref = componentRef(version.processor, version.id, version.version);
    const known = this.versions.get(ref) ?? { ...version, files: [] };
    this.versions.set(ref, known);
    const paths = new Set(known.files.map(f => f.path));
    for (const file of version.files) {
      if (paths.has(file.path)) continue;
      paths.add(file.path);
      known.files.push(file);
    }
  }

  get size(): number {
    return this.versions.size;
  }

  /** The SBOM as CycloneDX JSON, lists sorted so that equal content gives equal bytes. */
  toJson(): string {
    const bom = new Models.Bom();
    if (this.subject.serialNumber) bom.serialNumber = this.subject.serialNumber;
    bom.metadata.timestamp = this.subject.timestamp;
    bom.metadata.component = new Models.Component(Enums.ComponentType.Data, this.subject.name, {
      bomRef: 'backpack:subject',
      version: this.subject.version,
    });
    bom.metadata.tools.components.add(
      new Models.Component(Enums.ComponentType.Application, 'backpack', { group: 'backstage' }),
    );
    const components = new Map<string, Models.Component>();
    for (const [ref, version] of this.versions) {
      const component = new Models.Component(
        version.processor === 'oci' ? Enums.ComponentType.Container : Enums.ComponentType.Library,
        version.id,
        { bomRef: ref, version: version.version, purl: purlOrNone(version) },
      );
      component.properties.add(new Models.Property('backpack:processor', version.processor));
      if (version.license) component.licenses.add(licenseOf(version.license));
      for (const file of version.files) {
        const node = new Models.Component(Enums.ComponentType.File, file.path, { bomRef: `${ref}#${file.path}` });
        if (file.sha256) node.hashes.set(Enums.HashAlgorithm['SHA-256'], file.sha256);
        const upstream = file.integrity && HASHES[file.integrity.algorithm];
        if (upstream && upstream !== Enums.HashAlgorithm['SHA-256']) node.hashes.set(upstream, file.integrity!.digest);
        component.components.add(node);
      }
      components.set(ref, component);
      bom.components.add(component);
    }
    for (const [ref, version] of this.versions) {
      const component = components.get(ref)!;
      for (const dependency of version.dependencies) {
        for (const resolved of dependency.resolved) {
          const target = components.get(componentRef(dependency.processor, dependency.id, resolved));
          if (target && target !== component) component.dependencies.add(target.bomRef);
        }
      }
    }
    const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
    return serializer.serialize(bom, { sortLists: true, space: 0 });
  }
}
