import { NOOP_REQUESTS_IN_FLIGHT } from '../lib/conditionalFloor';

/** One registry size's medians, as far as the scale goals need them. */
export interface SizeOutcome {
  size: number;
  /** First run and no-op run, s. */
  first: number;
  noop: number;
  /** The registry alone answering the no-op run's conditional requests, s. */
  floor?: number;
  /** Backend CPU of the no-op run, s. */
  noopBackendCpu: number;
}

/** What the scale benchmark measured against its goals. */
export interface ScaleOutcome {
  sizes: SizeOutcome[];
  noopGoal: number;
  linearGoal: number;
  firstGrowth: number;
  noopGrowth: number;
  rssGoalMb: number;
  /** Largest size: walk peak RSS with Node's defaults, and with the README's heap limit. */
  walkPeakMb: number;
  heapLimitedPeakMb?: number;
  heapLimitFlags: string[];
}

const count = (n: number) => n.toLocaleString('en');

/**
 * For each missed scale goal: what bounds it, by the measurements of the
 * same run, and what it would take to pass.
 */
export function scaleMissedGoals(o: ScaleOutcome): string[] {
  const parts: string[] = [];
  const missed = o.sizes.filter(r => r.noop / r.first > o.noopGoal);
  if (missed.length) {
    const floorBound = missed.filter(r => r.floor !== undefined && r.floor / r.first > o.noopGoal);
    if (floorBound.length) {
      parts.push(
        `The registry bounds the no-op run at ${floorBound.map(r => count(r.size)).join(', ')} packages: answering the run's conditional requests alone takes more than ${o.noopGoal} of the first run there (see the floor above).`,
      );
    } else {
      const cpuMs = (r: SizeOutcome) => (r.noopBackendCpu * 1000) / r.size;
      // The whole run may take noopGoal × the first; the backend's one
      // thread must do its share of every package within that.
      const budgetMs = (r: SizeOutcome) => (o.noopGoal * r.first * 1000) / r.size;
      parts.push(
        `The registry does not bound it: answering the run's ${NOOP_REQUESTS_IN_FLIGHT} conditional requests in flight alone takes ${missed.map(r => (r.floor !== undefined ? (r.floor / r.first).toFixed(3) : '?')).join(', ')} of the first run. The bound is the backend's one JavaScript thread, which does each package's work in turn: ${missed.map(r => `${cpuMs(r).toFixed(2)} ms of CPU per package at ${count(r.size)}`).join(', ')} (see the profile: the walk over the stored graph, recording its outcome, and the upstream requests' own cost in the client). To pass, a no-op run's backend CPU per package must fit in ${o.noopGoal} of the first run's time per package: ${missed.map(r => `${budgetMs(r).toFixed(2)} ms at ${count(r.size)} (${(cpuMs(r) / budgetMs(r)).toFixed(1)}× over)`).join(', ')}. The levers: fewer allocations per package (the garbage collector's share) and fewer rows read when recording the unchanged selection.`,
      );
    }
  }
  if (o.firstGrowth > o.linearGoal || o.noopGrowth > o.linearGoal) {
    parts.push('Per-package cost grows with size: see the rows read above for the statements that grow.');
  }
  if (o.walkPeakMb >= o.rssGoalMb) {
    parts.push(
      `The walk's peak RSS at ${count(o.sizes[o.sizes.length - 1].size)} packages (${o.walkPeakMb.toFixed(0)} MB) is bounded by V8's heap sizing, not by what the walk keeps: with Node's defaults the old generation grows to a multiple of what is live before a full collection${o.heapLimitedPeakMb !== undefined ? `; with \`${o.heapLimitFlags.join(' ')}\` the same walk peaks at ${o.heapLimitedPeakMb.toFixed(0)} MB (${o.heapLimitedPeakMb < o.rssGoalMb ? 'under' : 'above'} the goal), so the garbage, not the live set, is the excess` : ''}. To pass with the defaults, the walk must allocate less that outlives a young collection (the per-batch write transactions and per-version objects), or hold less per package, so that the heap V8 sizes from the live set stays under the goal.`,
    );
  }
  return parts;
}
