/**
 * The walk's one admission hook: before a version is selected, its verdict
 * is asked (once per walk and version). A denied version is never
 * selected, hence never expanded, collected or served; it is recorded as
 * refused with its reasons. For a dependency under policy `latest`, the
 * best *allowed* version the range admits is taken; a tag or pin names one
 * version and is never substituted; when nothing the range admits is
 * allowed, the dependency is unresolvable with the reasons.
 */
import { AdmissionPathStep, AdmissionVerdict } from '../admission/types';
import { ProcessorVersion } from '../processors/types';
import { DependencyPolicy, SelectionReason } from '../types';
import { Entry, Outcome } from './closureEntry';
import { ClosureAdmitFn } from './closureTypes';
import { RangeResolution } from './dependencyPolicy';
import { reasonKey } from './selectionReasons';

type Settled = Extract<Outcome, { ok: true }>;

/** How a walk reads what the gate needs. */
export interface AdmissionGateContext {
  admit: ClosureAdmitFn;
  signal?: AbortSignal;
  /** The entry of an artifact by key, for dependency paths. */
  entryOf(key: string): Entry | undefined;
  /** The version's description, for artifacts described on demand; undefined otherwise. */
  describe(entry: Entry, version: string): Promise<ProcessorVersion | undefined> | undefined;
}

/** A verdict as one line: `deny-list: on the deny list; license: …`. */
export function verdictSummary(verdict: AdmissionVerdict): string {
  return verdict.reasons.map(r => `${r.check}: ${r.reason}`).join('; ');
}

export class AdmissionGate {
  /** Whether a resolution's one version may be replaced by another the range admits. */
  private readonly substitutable = new WeakMap<RangeResolution, boolean>();

  constructor(private readonly context: AdmissionGateContext) {}

  /** Whether a root's version may be selected; a refusal is recorded on the entry. */
  async admits(entry: Entry, version: string, via: SelectionReason): Promise<boolean> {
    const verdict = await this.verdict(entry, version, via);
    if (verdict.decision !== 'deny') return true;
    this.refuse(entry, version, via, verdict);
    return false;
  }

  /** A dependency's resolution with denied versions taken out (and, under `latest`, replaced when the range allows). */
  async filter(
    target: Entry,
    outcome: Settled,
    range: string,
    policy: DependencyPolicy,
    resolution: RangeResolution,
    via: SelectionReason,
  ): Promise<RangeResolution> {
    if ('unresolvable' in resolution) return resolution;
    const scheme = target.processor!.versions;
    // Only a range admits another version than the one it resolved to.
    const best = resolution.resolved[0];
    // Once per resolution (cached per target, policy and range), not per edge.
    let substitutable = this.substitutable.get(resolution);
    if (substitutable === undefined) {
      substitutable =
        policy === 'latest' && resolution.resolved.length === 1 && scheme.isValidRange(range) && scheme.satisfies(best, range);
      this.substitutable.set(resolution, substitutable);
    }
    // Most edges end here, so nothing else is made for them.
    const first = substitutable ? await this.verdict(target, best, via) : undefined;
    if (first && first.decision !== 'deny') return resolution;
    const refused: Array<[string, AdmissionVerdict]> = [];
    const deny = (version: string, verdict: AdmissionVerdict) => {
      refused.push([version, verdict]);
      this.refuse(target, version, via, verdict);
    };
    if (first) {
      deny(best, first);
      // Looked for only once the best is denied: most edges stop above, and
      // this runs for every edge of the walk.
      const candidates = outcome.ascending.filter(v => v !== best && scheme.satisfies(v, range)).reverse();
      for (const version of candidates) {
        const verdict = await this.verdict(target, version, via);
        if (verdict.decision !== 'deny') return { resolved: [version] };
        deny(version, verdict);
      }
    } else {
      const verdicts = await Promise.all(resolution.resolved.map(v => this.verdict(target, v, via)));
      const kept = resolution.resolved.filter((version, i) => {
        if (verdicts[i].decision !== 'deny') return true;
        deny(version, verdicts[i]);
        return false;
      });
      if (kept.length > 0) return { resolved: kept };
    }
    const shown = refused.slice(0, 3).map(([v, verdict]) => `${v} denied (${verdictSummary(verdict)})`);
    const more = refused.length > 3 ? `, and ${refused.length - 3} more denied` : '';
    return { unresolvable: `no allowed version of '${target.id}' satisfies '${range}': ${shown.join(', ')}${more}` };
  }

  /** The verdict for a version, asked once per walk. */
  private verdict(entry: Entry, version: string, via: SelectionReason): Promise<AdmissionVerdict> {
    let pending = entry.admissions.get(version);
    if (!pending) {
      pending = this.ask(entry, version, via);
      entry.admissions.set(version, pending);
    }
    return pending;
  }

  private async ask(entry: Entry, version: string, via: SelectionReason): Promise<AdmissionVerdict> {
    const outcome = entry.settled;
    const described =
      (await this.context.describe(entry, version)) ?? (outcome?.ok ? outcome.byVersion.get(version) : undefined);
    // The path is followed only when read: a cached verdict (every version
    // of a run that finds nothing new) never needs it, and on a deep graph
    // following it for every version is most of the gate's work.
    let path: AdmissionPathStep[] | undefined;
    const pathOf = () => (path ??= this.pathOf(via));
    const verdict = await this.context.admit(
      {
        processor: entry.processorName,
        id: entry.id,
        config: entry.discoveredUnder ?? entry.config,
        version,
        described,
        get path() {
          return pathOf();
        },
      },
      { signal: this.context.signal },
    );
    entry.verdicts.set(version, verdict);
    return verdict;
  }

  private refuse(entry: Entry, version: string, via: SelectionReason, verdict: AdmissionVerdict): void {
    const refused = (entry.refused ??= new Map());
    const reasons = refused.get(version)?.reasons ?? new Map<string, SelectionReason>();
    reasons.set(reasonKey(via), via);
    refused.set(version, { reasons, verdict });
  }

  /** The dependency path to a selection, root first, following the first parent of each step. */
  private pathOf(via: SelectionReason): AdmissionPathStep[] {
    const path: AdmissionPathStep[] = [];
    const seen = new Set<string>();
    let step: SelectionReason | undefined = via;
    while (step?.type === 'required-by' && path.length < 64) {
      const key: string = `${step.processor}:${step.id}`;
      path.unshift({ processor: step.processor, id: step.id, version: step.version, range: step.range });
      if (seen.has(`${key}@${step.version}`)) break;
      seen.add(`${key}@${step.version}`);
      const reasons: Map<string, SelectionReason> | undefined = this.context.entryOf(key)?.selected.get(step.version);
      step = reasons ? [...reasons.values()].find(r => r.type === 'required-by') : undefined;
    }
    return path;
  }
}
