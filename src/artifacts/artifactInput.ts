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
import { FilterType } from '../types';
import { canonicalArtifactId } from './artifactIds';

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
