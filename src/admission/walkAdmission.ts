/**
 * Admission as the closure walk asks for it (runs and previews): the
 * version's facts from the walk (or, after a 304, from the store), the
 * artifact's own settings, the cached verdict, and a person's approval or
 * rejection on top; and the recording of a walk's verdicts per version.
 */
import { ClosureAdmitFn, ClosureArtifact } from '../closure/ClosureResolver';
import { StoredVersionFacts, VersionApproval } from '../database/AdmissionStore';
import { BackpackStores } from '../database/createBackpackStores';
import { ProcessorVersion } from '../processors/types';
import { AdmissionService } from './AdmissionService';
import { AdmissionMetadata, AdmissionVerdict, ArtifactAdmissionSettings } from './types';

/** Where a walk's admission reads from. */
export interface WalkAdmissionSources {
  /** The artifact's own settings. */
  settingsOf(processor: string, id: string): Promise<ArtifactAdmissionSettings | undefined>;
  /** Whether versions listed without files may have stored files (a run's 304 answers). */
  storedFacts: boolean;
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

/** Builds the walk's admit function and records what it decided. */
export class WalkAdmission {
  constructor(
    private readonly service: AdmissionService,
    private readonly stores: Pick<BackpackStores, 'admissions' | 'artifacts' | 'versions'>,
  ) {}

  /** An admit function for one walk; approvals are read once per artifact. */
  admitFn(sources: WalkAdmissionSources): ClosureAdmitFn {
    const approvals = new Map<string, Promise<Map<string, VersionApproval>>>();
    const settings = new Map<string, Promise<ArtifactAdmissionSettings | undefined>>();
    const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
      let pending = cache.get(key);
      if (!pending) {
        pending = load();
        cache.set(key, pending);
      }
      return pending;
    };
    return async request => {
      const { processor, id, version } = request;
      const key = `${processor}:${id}`;
      const [metadata, own, approved] = await Promise.all([
        this.metadataOf(request.processor, id, version, request.described, sources.storedFacts),
        once(settings, key, () => sources.settingsOf(processor, id)),
        once(approvals, key, () => this.stores.admissions.approvalsOf(processor, id)),
      ]);
      const verdict = await this.service.decide(
        { processor, id, config: request.config, version, metadata, path: request.path },
        own,
      );
      return withApproval(verdict, approved.get(version));
    };
  }

  /**
   * Records the verdicts a walk made on one artifact's versions, and the
   * facts of every version its discovery described (all of them, since a
   * later run answered 304 may check any of them).
   */
  async record(artifactRef: number, artifact: ClosureArtifact): Promise<void> {
    const { discovery } = artifact;
    if (discovery && !discovery.notModified) {
      await this.stores.admissions.recordFacts(
        artifactRef,
        discovery.versions.map(v => ({ version: v.version, facts: versionFacts(v) })),
      );
    }
    await this.stores.admissions.recordVerdicts(artifactRef, [
      ...artifact.selected.flatMap(v => (v.admission ? [{ version: v.version, verdict: v.admission }] : [])),
      ...(artifact.refused ?? []).map(r => ({ version: r.version, verdict: r.admission })),
    ]);
  }

  private async metadataOf(
    processor: string,
    id: string,
    version: string,
    described: ProcessorVersion | undefined,
    storedFacts: boolean,
  ): Promise<AdmissionMetadata> {
    let files: AdmissionMetadata['files'] = (described?.files ?? []).map(f => ({
      name: f.name,
      ...(f.size !== undefined ? { size: f.size } : {}),
      ...(f.integrity ? { integrity: f.integrity } : {}),
    }));
    let facts = versionFacts(described);
    // A run answered 304 lists stored versions without files or facts.
    if (storedFacts && files.length === 0) {
      const artifact = await this.stores.artifacts.getArtifact(processor, id);
      const page = artifact && (await this.stores.versions.listFiles(artifact.ref, version, { limit: 1000, offset: 0 }));
      files = (page?.items ?? []).map(f => ({
        name: f.name,
        ...(f.size !== undefined ? { size: f.size } : {}),
        ...(f.integrity ? { integrity: f.integrity } : {}),
      }));
      if (Object.keys(facts).length === 0) facts = (await this.stores.admissions.factsOf(processor, id, version)) ?? {};
    }
    return {
      ...facts,
      ...(described?.publishedAt ? { publishedAt: described.publishedAt } : {}),
      files,
    };
  }
}
