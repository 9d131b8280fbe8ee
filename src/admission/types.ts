/**
 * The admission API: what a check is asked about a version, and what it
 * answers. Modules add checks through `backpackAdmissionExtensionPoint`;
 * the built-in checks and external admission plugins answer the same way.
 */
import { JsonObject } from '@backstage/types';
import { FileIntegrity } from '../types';

/**
 * What a check may answer: let the version in, keep it out (with a reason),
 * or let it wait until someone approves it.
 *
 * @public
 */
export type AdmissionDecision = 'allow' | 'deny' | 'pending-approval';

/**
 * One check's answer. A reason is required for `deny` and
 * `pending-approval`: it is recorded on the version and shown to users.
 *
 * @public
 */
export type AdmissionAnswer =
  | { decision: 'allow'; reason?: string }
  | { decision: 'deny' | 'pending-approval'; reason: string };

/**
 * One step of the dependency path by which a version was reached: a
 * dependent version and the range it declares for the next step (for the
 * last step: for the version asked about).
 *
 * @public
 */
export interface AdmissionPathStep {
  processor: string;
  id: string;
  version: string;
  range: string;
}

/**
 * What the upstream says about a version, as far as checks need it.
 *
 * @public
 */
export interface AdmissionMetadata {
  /** The license as the upstream declares it (an SPDX expression where the ecosystem uses them). */
  license?: string;
  /** ISO 8601 publication time. */
  publishedAt?: string;
  /** The deprecation message, when the version is deprecated. */
  deprecated?: string;
  /** The reason (or `true`) when the version is yanked. */
  yanked?: string | true;
  /** The files with their sizes and the digests the upstream declared. */
  files: Array<{ name: string; size?: number; integrity?: FileIntegrity }>;
}

/**
 * What a check is asked: may this version of this artifact enter the mirror?
 *
 * @public
 */
export interface AdmissionRequest {
  processor: string;
  /** The id in the processor's canonical form. */
  id: string;
  /** The processor config the artifact was discovered under. */
  config: JsonObject;
  version: string;
  metadata: AdmissionMetadata;
  /**
   * How the walk first reached the version, from a root to the direct
   * dependent; empty when a root's own filter selects it. Answers are cached per version, so a
   * check sees the path of the first walk that asked.
   */
  path: AdmissionPathStep[];
}

/**
 * A check written as a backend module. Checks must be deterministic for a
 * given request and policy: answers are cached per (artifact, version,
 * policy revision). A check that throws denies the version (fail closed),
 * and its answer is not cached.
 *
 * @public
 */
export interface BackpackAdmissionCheck {
  /** Unique name, shown with each reason. */
  readonly name: string;
  check(request: AdmissionRequest, options: { signal?: AbortSignal }): Promise<AdmissionAnswer>;
}

/**
 * An artifact's own admission settings (its `admission` field): overrides
 * of the global `backpack.admission` settings for its versions, and
 * version ranges to allow or deny.
 *
 * @public
 */
export interface ArtifactAdmissionSettings {
  /** Version ranges always admitted (the other built-in checks are skipped); `*` for all. */
  allow?: string[];
  /** Version ranges always denied. */
  deny?: string[];
  licenses?: { allow?: string[]; deny?: string[]; unknown?: AdmissionDecision };
  /** E.g. `3d`; `0` turns the global cooldown off for this artifact. */
  minimumReleaseAge?: string;
  /** Bytes. */
  maximumFileSize?: number;
  yanked?: AdmissionDecision;
  deprecated?: AdmissionDecision;
}

/**
 * One check's answer as recorded on a version.
 *
 * @public
 */
export interface AdmissionReason {
  check: string;
  decision: AdmissionDecision;
  reason: string;
}

/**
 * The combined answer of every check: any deny denies, else any
 * pending-approval waits, else the version is allowed.
 *
 * @public
 */
export interface AdmissionVerdict {
  decision: AdmissionDecision;
  /** The answers that made the decision (every deny, or every wait); empty when allowed. */
  reasons: AdmissionReason[];
  /** The policy revision the verdict was made under. */
  revision: string;
}
