import { JsonObject } from '@backstage/types';
import { AdmissionReason } from '../admission/types';
import { ClosureResult } from '../closure/ClosureResolver';
import { fileRefusal } from '../storage/fileRefusal';
import { storageKeyOf } from '../storage/fileStorageKey';
import {
  DependencyKind,
  DependencyPolicy,
  FileIntegrity,
  FilterType,
  SelectionReason,
} from '../types';

/**
 * A file a mirror run would queue for collection.
 *
 * @public
 */
export interface PreviewFile {
  name: string;
  uri: string;
  /**
   * Where the collector would store it: `files/<processor>/<id>/<version>/<name>`,
   * encoded, or `blobs/sha256/<hex>` for a content-addressed file.
   */
  storageKey: string;
  /** Bytes, when the upstream says (npm's abbreviated metadata does not). */
  size?: number;
  integrity?: FileIntegrity;
  /** Whether the upstream declares a digest the bytes would be checked against. */
  verified: boolean;
  /** Why the file would be refused (an unsafe name, version or path) or skipped, when it would be. */
  refused?: string;
}

/**
 * A version a mirror run would select, why, and its files.
 *
 * @public
 */
export interface PreviewVersion {
  version: string;
  selection: SelectionReason[];
  files: PreviewFile[];
  /** Sum of the known file sizes. */
  bytes: number;
  /**
   * Where the version declares the dependencies whose origin its processor
   * names (a Helm chart's images: an annotation, a values.yaml path, the
   * artifact's config); absent when there are none.
   */
  sources?: Array<{ processor: string; id: string; range: string; source: string }>;
  /** `pending-approval` when the version would wait for a person before its files are queued. */
  status: 'selected' | 'pending-approval';
  /** Why it waits, or who approved it; absent when the checks simply allowed it. */
  admission?: AdmissionReason[];
}

/**
 * A version admission would keep out, and why.
 *
 * @public
 */
export interface PreviewDeniedVersion {
  version: string;
  /** Why it would have been selected. */
  selection: SelectionReason[];
  reasons: AdmissionReason[];
}

/**
 * One artifact of the closure.
 *
 * @public
 */
export interface PreviewArtifact {
  processor: string;
  id: string;
  root: boolean;
  config: JsonObject;
  dependencyPolicy: DependencyPolicy;
  filter?: string;
  filterType?: FilterType;
  /** Why the artifact has no usable discovery (not found upstream, failed, invalid filter). */
  error?: { type: 'not-found' | 'failed' | 'invalid-filter'; message: string };
  /** What was dropped from the upstream's answer and why, as a run would record it. */
  warnings?: string[];
  /** Selected versions, lowest first. */
  versions: PreviewVersion[];
  /** Versions admission would deny, lowest first; absent when none. */
  denied?: PreviewDeniedVersion[];
  bytes: number;
}

/**
 * A dependency of a selected version that cannot be mirrored.
 *
 * @public
 */
export interface PreviewUnresolvable {
  /** The version that declares the dependency. */
  processor: string;
  id: string;
  version: string;
  dependency: { processor: string; id: string; range: string; kind: DependencyKind; source?: string };
  reason: string;
}

/**
 * What adding an artifact would select, computed without writing anything.
 *
 * @public
 */
export interface ArtifactPreview {
  /** The root first, then every artifact the walk reached, by processor and id. */
  artifacts: PreviewArtifact[];
  /** The resolved closure: `name@version` of each selected version, sorted, by processor. */
  closure: Record<string, string[]>;
  unresolvable: PreviewUnresolvable[];
  totals: {
    artifacts: number;
    versions: number;
    files: number;
    /** Sum of the known file sizes. */
    bytes: number;
    /** Files whose size the upstream does not publish; `bytes` leaves them out. */
    filesWithoutSize: number;
    /** Versions admission would deny, and selected versions that would wait for approval. */
    versionsDenied: number;
    versionsPendingApproval: number;
  };
}

/** Code-unit order, so that the closure lists are the same on every machine. */
function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Turns a resolved closure into the preview the API returns. Files come
 * from the discovery of each artifact, which a preview always makes
 * unconditionally, so every selected version has its files at hand.
 */
export function toArtifactPreview(closure: ClosureResult): ArtifactPreview {
  const closureLists: Record<string, string[]> = {};
  const unresolvable: PreviewUnresolvable[] = [];
  const totals = {
    artifacts: 0,
    versions: 0,
    files: 0,
    bytes: 0,
    filesWithoutSize: 0,
    versionsDenied: closure.stats.versionsDenied,
    versionsPendingApproval: closure.stats.versionsPendingApproval,
  };

  const artifacts = closure.artifacts.map((artifact): PreviewArtifact => {
    const discovered = new Map(
      (artifact.discovery?.versions ?? []).map(v => [v.version, v]),
    );
    const versions = artifact.selected.map((selected): PreviewVersion => {
      const files = (discovered.get(selected.version)?.files ?? []).map((file): PreviewFile => {
        const refused =
          fileRefusal({ name: file.name, version: selected.version, path: file.path }) ?? file.skipped;
        return {
          name: file.name,
          uri: file.uri,
          storageKey: storageKeyOf({
            processor: artifact.processor,
            artifactId: artifact.id,
            version: selected.version,
            name: file.name,
            contentAddressed: file.contentAddressed,
            integrity: file.integrity,
          }),
          ...(file.size !== undefined ? { size: file.size } : {}),
          ...(file.integrity ? { integrity: file.integrity } : {}),
          verified: file.integrity !== undefined,
          ...(refused ? { refused } : {}),
        };
      });
      for (const dependency of selected.dependencies) {
        if (dependency.unresolvable === undefined) continue;
        unresolvable.push({
          processor: artifact.processor,
          id: artifact.id,
          version: selected.version,
          dependency: {
            processor: dependency.processor,
            id: dependency.id,
            range: dependency.range,
            kind: dependency.kind,
            ...(dependency.source ? { source: dependency.source } : {}),
          },
          reason: dependency.unresolvable,
        });
      }
      (closureLists[artifact.processor] ??= []).push(`${artifact.id}@${selected.version}`);
      const bytes = files.reduce((sum, file) => sum + (file.size ?? 0), 0);
      totals.files += files.length;
      totals.filesWithoutSize += files.filter(file => file.size === undefined).length;
      const sources = selected.dependencies
        .filter(d => d.source !== undefined)
        .map(d => ({ processor: d.processor, id: d.id, range: d.range, source: d.source! }));
      const reasons = selected.admission?.reasons ?? [];
      return {
        version: selected.version,
        selection: selected.selection,
        files,
        bytes,
        ...(sources.length ? { sources } : {}),
        status: selected.admission?.decision === 'pending-approval' ? 'pending-approval' : 'selected',
        ...(reasons.length > 0 ? { admission: reasons } : {}),
      };
    });
    const bytes = versions.reduce((sum, v) => sum + v.bytes, 0);
    totals.artifacts += 1;
    totals.versions += versions.length;
    totals.bytes += bytes;
    return {
      processor: artifact.processor,
      id: artifact.id,
      root: artifact.root,
      config: artifact.config,
      dependencyPolicy: artifact.dependencyPolicy,
      ...(artifact.filter ? { filter: artifact.filter } : {}),
      ...(artifact.filterType ? { filterType: artifact.filterType } : {}),
      ...(artifact.error ? { error: artifact.error } : {}),
      ...(artifact.discovery?.warnings?.length ? { warnings: artifact.discovery.warnings } : {}),
      versions,
      ...(artifact.refused
        ? {
            denied: artifact.refused.map(r => ({
              version: r.version,
              selection: r.selection,
              reasons: r.admission.reasons,
            })),
          }
        : {}),
      bytes,
    };
  });

  for (const list of Object.values(closureLists)) list.sort(byCodeUnit);
  return { artifacts, closure: closureLists, unresolvable, totals };
}
