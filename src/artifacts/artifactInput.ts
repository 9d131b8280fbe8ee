/**
 * How a caller's artifact settings are checked against its processor: the
 * canonical id, the config schema and the version filter. One place for
 * create, preview and update, so the three accept and refuse alike; every
 * refusal is an InputError naming the field.
 */
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { checkRanges } from '../admission/admissionSettings';
import { ArtifactAdmissionSettings } from '../admission/types';
import { resolveFilterType } from '../closure/versionFilter';
import { parseArtifactConfig } from '../lib/validation';
import { BackpackProcessor } from '../processors/types';
import { ArtifactPatch } from '../database/ArtifactStore';
import { DependencyPolicy, FilterType } from '../types';
import { canonicalArtifactId } from './artifactIds';

/** What a caller may change on an artifact; `null` clears the filter or the admission settings. */
export interface UpdateArtifactRequest {
  filter?: string | null;
  filterType?: FilterType | null;
  config?: JsonObject;
  dependencyPolicy?: DependencyPolicy;
  admission?: ArtifactAdmissionSettings | null;
}

/** A filter with its type, or neither. */
export type ResolvedFilter = { filter?: string; filterType?: FilterType };

/** The canonical id of a new artifact; an InputError naming `id` when it is none. */
export function artifactIdInput(processor: BackpackProcessor, id: string): string {
  const canonical = canonicalArtifactId(processor, id);
  if ('problem' in canonical) throw new InputError(`id: ${canonical.problem}`);
  return canonical.id;
}

/** Checks a config against the processor's schema and returns it as given. */
export function artifactConfigInput(processor: BackpackProcessor, config: JsonObject): JsonObject {
  parseArtifactConfig(processor.configSchema, config);
  // The caller's config is stored rather than the parsed output, so that
  // defaults the processor fills in stay its own to change later.
  return config;
}

/** A filter and its type (detected when not given); a type needs a filter. */
export function artifactFilterInput(
  processor: BackpackProcessor,
  filter: string | undefined,
  filterType: FilterType | undefined,
): ResolvedFilter {
  if (!filter) {
    if (filterType) {
      throw new InputError(`filterType: '${filterType}' needs a filter`);
    }
    return {};
  }
  return {
    filter,
    filterType: resolveFilterType(filter, filterType, processor.versions),
  };
}

/** An artifact's admission settings (shape checked by the request schema), with ranges of its processor. */
export function artifactAdmissionSettingsInput(
  processor: BackpackProcessor,
  admission: ArtifactAdmissionSettings,
): ArtifactAdmissionSettings {
  checkRanges(
    [
      ...(admission.allow ?? []).map((range, i) => ({ where: `admission.allow[${i}]`, range })),
      ...(admission.deny ?? []).map((range, i) => ({ where: `admission.deny[${i}]`, range })),
    ],
    range => processor.versions.isValidRange(range),
  );
  return admission;
}

/** The settings of a new root artifact, checked: canonical id, config and filter. */
export function rootArtifactInput(
  processor: BackpackProcessor,
  request: { id: string; config?: JsonObject; filter?: string; filterType?: FilterType },
): { id: string; config: JsonObject; filter: ResolvedFilter } {
  return {
    id: artifactIdInput(processor, request.id),
    config: artifactConfigInput(processor, request.config ?? {}),
    filter: artifactFilterInput(processor, request.filter || undefined, request.filterType),
  };
}

/**
 * The change an update request makes to a stored artifact, checked as on
 * creation; empty when it changes nothing. `config` replaces the whole
 * config object.
 */
export function artifactPatchInput(
  processor: BackpackProcessor,
  stored: ResolvedFilter,
  request: UpdateArtifactRequest,
): ArtifactPatch {
  const patch: ArtifactPatch = {};
  if (request.filter !== undefined || request.filterType !== undefined) {
    // An omitted filter keeps the stored one, re-validated against a new
    // type; an omitted type is detected anew when the filter changes.
    const filter = request.filter === undefined ? stored.filter : request.filter;
    const filterType =
      request.filterType === undefined && request.filter === undefined
        ? stored.filterType
        : request.filterType ?? undefined;
    const resolved = artifactFilterInput(processor, filter || undefined, filterType);
    patch.filter = resolved.filter ?? null;
    patch.filterType = resolved.filterType ?? null;
  }
  if (request.config !== undefined) {
    patch.config = artifactConfigInput(processor, request.config);
  }
  if (request.dependencyPolicy !== undefined) {
    patch.dependencyPolicy = request.dependencyPolicy;
  }
  if (request.admission !== undefined) {
    patch.admission = request.admission && artifactAdmissionSettingsInput(processor, request.admission);
  }
  return patch;
}
