/**
 * Decides whether a version may enter the mirror: the built-in checks, then
 * the checks modules and external plugins added. As in CIPD's admission
 * host, one (artifact, version, policy revision) is asked once: concurrent
 * callers share the pending promise, later ones get the settled answer, and
 * a change of policy clears the cache.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { errorMessage } from '../lib/errorMessage';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import {
  effectiveSettings,
  GlobalAdmissionSettings,
  readGlobalAdmissionSettings,
  settingsKey,
} from './admissionSettings';
import { runBuiltInChecks } from './checks/builtInChecks';
import {
  AdmissionReason,
  AdmissionRequest,
  AdmissionVerdict,
  ArtifactAdmissionSettings,
  BackpackAdmissionCheck,
} from './types';

/** Options of {@link AdmissionService}. */
export interface AdmissionServiceOptions {
  processors: ProcessorRegistry;
  /** Checks of modules and external plugins, asked after the built-in ones. */
  checks: BackpackAdmissionCheck[];
  settings: GlobalAdmissionSettings;
  logger: LoggerService;
  /** Answers kept at most; the oldest settled ones go first. Default {@link DEFAULT_ADMISSION_CACHE_SIZE}. */
  cacheSize?: number;
  now?: () => number;
}

/**
 * Verdicts kept by default: above the versions a run of a 10,000-package
 * mirror selects (16,449 in the scale bench), since a cache smaller than a
 * run's versions misses on every one of them the next run (they are asked
 * in the same order) and each miss reads the version's stored evidence.
 * A settled entry costs about 160 bytes, so 16 MB at this limit.
 */
export const DEFAULT_ADMISSION_CACHE_SIZE = 100_000;

interface CacheEntry {
  /** Until settled. */
  promise?: Promise<AdmissionVerdict>;
  /** Once settled; the promise is dropped then, as it costs more than the answer. */
  verdict?: AdmissionVerdict;
  /** Set once settled: when the answer stops holding (ms), or 0 when it must not be reused. */
  validUntil?: number;
}

/** Combines answers: any deny denies, else any wait waits, else allowed. */
function combine(reasons: AdmissionReason[], revision: string): AdmissionVerdict {
  const denials = reasons.filter(r => r.decision === 'deny');
  if (denials.length > 0) return { decision: 'deny', reasons: denials, revision };
  const waits = reasons.filter(r => r.decision === 'pending-approval');
  if (waits.length > 0) return { decision: 'pending-approval', reasons: waits, revision };
  return { decision: 'allow', reasons: [], revision };
}

/** Decides admissions; one per Backpack. */
export class AdmissionService {
  private readonly cache = new Map<string, CacheEntry>();
  private settings: GlobalAdmissionSettings;
  private policyRevision = '';
  private readonly now: () => number;
  private readonly cacheSize: number;
  /** The allow-without-reasons verdict of the global revision, shared by the entries that hold it. */
  private plainAllow?: AdmissionVerdict;

  static fromConfig(
    config: Config,
    options: Omit<AdmissionServiceOptions, 'settings' | 'cacheSize'>,
  ): AdmissionService {
    const cacheSize = config.getOptionalNumber('backpack.admission.cacheSize');
    if (cacheSize !== undefined && !(Number.isSafeInteger(cacheSize) && cacheSize >= 0)) {
      throw new InputError(`backpack.admission.cacheSize: ${cacheSize} is not a whole number of verdicts (0 or more)`);
    }
    return new AdmissionService({ ...options, settings: readGlobalAdmissionSettings(config), cacheSize });
  }

  constructor(private readonly options: AdmissionServiceOptions) {
    this.now = options.now ?? Date.now;
    this.cacheSize = options.cacheSize ?? DEFAULT_ADMISSION_CACHE_SIZE;
    this.settings = this.checked(options.settings);
    this.updateRevision();
  }

  /** The revision of the global policy and the set of checks; part of every cache key. */
  get revision(): string {
    return this.policyRevision;
  }

  /** Replaces the global policy (config reloaded); a new revision clears the cache. */
  setSettings(settings: GlobalAdmissionSettings): void {
    this.settings = this.checked(settings);
    this.updateRevision();
  }

  /**
   * The settings, once every list entry's range is one of its processor's;
   * an entry of a processor not registered (one turned off) matches
   * nothing, and is only warned about.
   */
  private checked(settings: GlobalAdmissionSettings): GlobalAdmissionSettings {
    for (const list of ['allow', 'deny'] as const) {
      (settings[list] ?? []).forEach((entry, index) => {
        const where = `backpack.admission.${list}[${index}]`;
        const processor = this.options.processors.find(entry.processor);
        if (!processor) {
          this.options.logger.warn(`${where}.processor: no processor '${entry.processor}' is registered; the entry matches nothing`);
          return;
        }
        const range = entry.versions;
        if (range && range !== '*' && !processor.versions.isValidRange(range)) {
          throw new Error(`${where}.versions: '${range}' is not a valid ${processor.versions.name} range`);
        }
      });
    }
    return settings;
  }

  /** Reads `backpack.admission` again; a changed policy clears the cache. A broken one keeps the old policy. */
  reloadFrom(config: Config): void {
    try {
      this.setSettings(readGlobalAdmissionSettings(config));
    } catch (error) {
      this.options.logger.error(`Keeping the admission policy: ${errorMessage(error)}`);
    }
  }

  /** Drops every cached answer. */
  clearCache(): void {
    this.cache.clear();
    this.plainAllow = undefined;
  }

  /**
   * The verdict for one version under the global policy and the artifact's
   * own settings; asked once per (artifact, version, revision).
   */
  decide(request: AdmissionRequest, artifactSettings?: ArtifactAdmissionSettings): Promise<AdmissionVerdict> {
    return this.decideWith(request, artifactSettings, async () => request);
  }

  /**
   * {@link AdmissionService.decide} for callers whose request costs reads
   * (a run's stored files and facts): `load` is called only when the
   * verdict is not cached.
   */
  decideWith(
    identity: { processor: string; id: string; version: string },
    artifactSettings: ArtifactAdmissionSettings | undefined,
    load: () => Promise<AdmissionRequest>,
  ): Promise<AdmissionVerdict> {
    const own = artifactSettings && Object.keys(artifactSettings).length > 0 ? artifactSettings : undefined;
    const revision = own ? this.digest([this.policyRevision, settingsKey(own)]) : this.policyRevision;
    // Joined, not a template: join makes one flat string, where
    // concatenation keeps a tree of pieces that costs twice the memory.
    const key = [identity.processor, identity.id, identity.version, revision].join('\0');
    const cached = this.cache.get(key);
    if (cached && (cached.validUntil === undefined || cached.validUntil > this.now())) {
      return cached.promise ?? Promise.resolve(cached.verdict!);
    }
    const entry: CacheEntry = {};
    const promise = load().then(async request => {
      const { verdict, validUntil } = await this.evaluate(request, own, revision);
      entry.verdict = this.shared(verdict);
      entry.validUntil = validUntil ?? Number.POSITIVE_INFINITY;
      entry.promise = undefined;
      return verdict;
    });
    entry.promise = promise;
    // A load that failed (a database error) is not an answer to keep.
    promise.catch(() => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    this.cache.delete(key);
    this.cache.set(key, entry);
    this.evict();
    return promise;
  }

  /**
   * Most verdicts are a plain allow under the global policy: those share
   * one object (an artifact's own settings make revisions of their own,
   * which are not pooled so that nothing grows with them).
   */
  private shared(verdict: AdmissionVerdict): AdmissionVerdict {
    if (verdict.decision !== 'allow' || verdict.reasons.length > 0 || verdict.revision !== this.policyRevision) {
      return verdict;
    }
    if (this.plainAllow?.revision !== verdict.revision) this.plainAllow = verdict;
    return this.plainAllow;
  }

  private async evaluate(
    request: AdmissionRequest,
    own: ArtifactAdmissionSettings | undefined,
    revision: string,
  ): Promise<{ verdict: AdmissionVerdict; validUntil?: number }> {
    const processor = this.options.processors.get(request.processor);
    const sameId = (a: string, b: string) => (processor.normalizeId?.(a) ?? a) === b;
    const settings = effectiveSettings(this.settings, { processor: request.processor, id: request.id, admission: own }, (a, b) => {
      try {
        return sameId(a, b);
      } catch {
        return false;
      }
    });
    const builtIn = runBuiltInChecks(request, settings, processor.versions, this.now());
    if (builtIn.reasons.some(r => r.decision === 'deny')) {
      return { verdict: combine(builtIn.reasons, revision), validUntil: builtIn.validUntil };
    }
    let failed = false;
    const answers = await Promise.all(
      this.options.checks.map(async (check): Promise<AdmissionReason[]> => {
        try {
          const answer = await check.check(request, {});
          if (answer?.decision === 'allow') return [];
          if (answer?.decision === 'deny' || answer?.decision === 'pending-approval') {
            return [{ check: check.name, decision: answer.decision, reason: String(answer.reason ?? 'no reason given') }];
          }
          throw new Error(`answered ${JSON.stringify(answer)?.slice(0, 200)}, not a decision`);
        } catch (error) {
          // Fail closed: an air gap lets nothing in that was not checked.
          failed = true;
          this.options.logger.warn(
            `Admission check ${check.name} failed for ${request.processor}:${request.id} ${request.version}: ${errorMessage(error)}`,
          );
          return [{ check: check.name, decision: 'deny', reason: `check failed: ${errorMessage(error)}` }];
        }
      }),
    );
    return {
      verdict: combine([...builtIn.reasons, ...answers.flat()], revision),
      // A failure is asked again next time; a cooldown holds until it ends.
      validUntil: failed ? 0 : builtIn.validUntil,
    };
  }

  private evict(): void {
    if (this.cache.size <= this.cacheSize) return;
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= this.cacheSize) break;
      if (entry.validUntil !== undefined) this.cache.delete(key);
    }
  }

  private updateRevision(): void {
    const next = this.digest([settingsKey(this.settings), ...this.options.checks.map(c => c.name)]);
    if (next !== this.policyRevision) this.clearCache();
    this.policyRevision = next;
  }

  private digest(parts: string[]): string {
    return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
  }
}
