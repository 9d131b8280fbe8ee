/**
 * Admission as the closure walk asks for it (runs and previews): the
 * version's facts from the walk (or, after a 304, from the store), the
 * artifact's own settings, the cached verdict, and a person's approval or
 * rejection on top; and the recording of a walk's verdicts per version.
 */
import { ClosureAdmitFn, ClosureArtifact } from '../closure/ClosureResolver';
import { evidenceKey, StoredVersionEvidence, StoredVersionFacts, VersionApproval } from '../database/AdmissionStore';
import { BackpackStores } from '../database/createBackpackStores';
import { ProcessorVersion } from '../processors/types';
import { tickBatch } from '../lib/tickBatch';
import { AdmissionService } from './AdmissionService';
import { AdmissionMetadata, AdmissionVerdict, ArtifactAdmissionSettings } from './types';

/** Where a walk's admission reads from. */
export interface WalkAdmissionSources {
  /** The artifact's own settings. */
  settingsOf(processor: string, id: string): Promise<ArtifactAdmissionSettings | undefined>;
  /** Whether versions listed without files may have stored files (a run's 304 answers). */
  storedFacts: boolean;
  /**
   * The stored artifact's ref, when the walk knows it (a run's discovered
   * artifacts): then stored evidence is read for the versions asked
   * about, those asked at once in one statement, rather than per artifact.
   */
  artifactRefOf?(processor: string, id: string): number | undefined;
}

/** The facts of a version as the upstream described them, for the record. */
export function versionFacts(version: ProcessorVersion | undefined): StoredVersionFacts {
  return {
    ...(version?.license ? { license: version.license } : {}),
    ...(version?.deprecated ? { deprecated: version.deprecated } : {}),
    ...(version?.yanked !== undefined ? { yanked: version.yanked } : {}),
  };
}

/** A verdict with a person's word on it: a rejection denies; an approval admits what waited. */
export function withApproval(verdict: AdmissionVerdict, approval: VersionApproval | undefined): AdmissionVerdict {
  if (!approval || verdict.decision === 'deny') return verdict;
  const comment = approval.comment ? `: ${approval.comment}` : '';
  if (approval.decision === 'rejected') {
    return { ...verdict, decision: 'deny', reasons: [{ check: 'approval', decision: 'deny', reason: `rejected by ${approval.by}${comment}` }] };
  }
  if (verdict.decision === 'pending-approval') {
    return { ...verdict, decision: 'allow', reasons: [{ check: 'approval', decision: 'allow', reason: `approved by ${approval.by}${comment}` }] };
  }
  return verdict;
}

/** Stored versions of an artifact beyond which their rows are indexed by version for recording. */
const INDEX_ROWS_AFTER = 16;

/** The verdicts of one artifact as they are recorded. */
type ArtifactVerdictsInput = Array<{ version: string; verdict: AdmissionVerdict; versionRef?: number }>;

/** Builds the walk's admit function and records what it decided. */
export class WalkAdmission {
  constructor(
    private readonly service: AdmissionService,
    private readonly stores: Pick<BackpackStores, 'admissions'>,
  ) {}

  /**
   * An admit function for one walk. Approvals are read once per walk (they
   * are few), stored files and facts once per artifact and only when a
   * verdict is not cached.
   */
  admitFn(sources: WalkAdmissionSources): ClosureAdmitFn {
    let approvals: Promise<Map<string, Map<string, VersionApproval>>> | undefined;
    const settings = new Map<string, Promise<ArtifactAdmissionSettings | undefined>>();
    const stored = new Map<string, Promise<Map<string, StoredVersionEvidence>>>();
    const evidenceOf = tickBatch((keys: string[]) =>
      this.stores.admissions.storedEvidence(
        keys.map(key => {
          const [ref, version] = key.split('\0');
          return { artifactRef: Number(ref), version };
        }),
      ),
    );
    const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
      let pending = cache.get(key);
      if (!pending) {
        pending = load();
        cache.set(key, pending);
      }
      return pending;
    };
    return async request => {
      const { processor, id, version, described } = request;
      const key = `${processor}:${id}`;
      approvals ??= this.stores.admissions.listApprovals();
      const [own, approved] = await Promise.all([
        once(settings, key, () => sources.settingsOf(processor, id)),
        approvals,
      ]);
      const verdict = await this.service.decideWith(request, own, async () => {
        let evidence: StoredVersionEvidence | undefined;
        // A run answered 304 lists stored versions without files or facts.
        if (sources.storedFacts && (described?.files.length ?? 0) === 0) {
          const ref = sources.artifactRefOf?.(processor, id);
          evidence =
            ref !== undefined
              ? await evidenceOf(evidenceKey(ref, version))
              : (await once(stored, key, () => this.stores.admissions.storedFacts(processor, id))).get(version);
        }
        return {
          processor,
          id,
          version,
          config: request.config,
          // Passed on unread: the path is followed only for a check that
          // reads it (the built-in ones do not, an external one sends it),
          // not for every version a first run decides.
          get path() {
            return request.path;
          },
          metadata: metadataOf(described, evidence),
        };
      });
      return withApproval(verdict, approved.get(key)?.get(version));
    };
  }

  /**
   * Records the verdicts a walk made on the versions of the artifacts it
   * reached, all in one batch, and the facts of every version their
   * discoveries described (all of them, since a later run answered 304 may
   * check any of them); an artifact answered 304 has no facts to record.
   * `stored` are the rows of an artifact's versions the run read (on a
   * 304): their verdicts are recorded without looking the rows up again.
   */
  async record(
    entries: Array<{ artifactRef: number; artifact: ClosureArtifact; stored?: Array<{ version: string; ref: number }> }>,
  ): Promise<void> {
    await this.stores.admissions.recordFactsOf(
      entries.flatMap(({ artifactRef, artifact: { discovery } }) =>
        discovery && !discovery.notModified
          ? [{ artifactRef, versions: discovery.versions.map(v => ({ version: v.version, facts: versionFacts(v) })) }]
          : [],
      ),
    );
    await this.stores.admissions.recordVerdictsOf(
      entries.map(({ artifactRef, artifact, stored }) => {
        // Few versions are scanned rather than indexed: a full run records
        // every artifact it reached, most with a handful of versions.
        const refs = stored && stored.length > INDEX_ROWS_AFTER ? new Map(stored.map(v => [v.version, v.ref])) : undefined;
        const verdict = (version: string, admission: AdmissionVerdict) => {
          const versionRef = refs ? refs.get(version) : stored?.find(v => v.version === version)?.ref;
          return versionRef === undefined ? { version, verdict: admission } : { version, verdict: admission, versionRef };
        };
        const verdicts: ArtifactVerdictsInput = [];
        for (const v of artifact.selected) if (v.admission) verdicts.push(verdict(v.version, v.admission));
        for (const r of artifact.refused ?? []) verdicts.push(verdict(r.version, r.admission));
        return { artifactRef, verdicts };
      }),
    );
  }
}

/** What checks see of a version: the walk's description, or what is stored of it. */
function metadataOf(described: ProcessorVersion | undefined, stored: StoredVersionEvidence | undefined): AdmissionMetadata {
  const files = stored?.files.length
    ? stored.files
    : (described?.files ?? []).map(f => ({
        name: f.name,
        ...(f.size !== undefined ? { size: f.size } : {}),
        ...(f.integrity ? { integrity: f.integrity } : {}),
      }));
  const facts = versionFacts(described);
  return {
    ...(Object.keys(facts).length > 0 ? facts : stored?.facts),
    ...(described?.publishedAt ? { publishedAt: described.publishedAt } : {}),
    files,
  };
}
