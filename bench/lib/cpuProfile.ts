import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './childProcess';

/** The parts of a V8 `.cpuprofile` used here. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: a package, a file of this repository, Node itself, or a V8 pseudo-frame. */
function category(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:')) return 'node (internal)';
  if (file.startsWith(REPO_ROOT)) return path.relative(REPO_ROOT, file);
  return file;
}

/** A summarized CPU profile. */
export interface CpuProfileSummary {
  /** Self time by category and the top functions, as Markdown tables. */
  markdown: string;
  /** Share (0..1) of the sampled CPU in functions whose label matches, e.g. `/called from .* — pg$/`. */
  share(label: RegExp): number;
}

/** The harness's entry, from source or built (bench/README.md). */
const HARNESS_ENTRY = /bench\/backend\.(ts|js)$/;

/**
 * Summarizes a V8 CPU profile: self time by package or file, and by
 * function, with native frames labelled by the JavaScript that called them
 * (`writev — (native), called from submit — pg`).
 */
export function summarizeCpuProfile(
  file: string,
  options: { topCategories?: number; topFunctions?: number; exclude?: RegExp } = {},
): CpuProfileSummary {
  const profile: CpuProfile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map(n => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  // Native frames and Node internals name the caller that matters: the
  // nearest frame in a package or in this repository.
  const caller = (id: number): string | undefined => {
    for (let p = parents.get(id); p !== undefined; p = parents.get(p)) {
      const frame = nodes.get(p)!.callFrame;
      if (frame.url && !frame.url.startsWith('node:')) {
        return `${frame.functionName || '(anonymous)'} — ${category(frame.url, frame.functionName)}`;
      }
    }
    return undefined;
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  // The profiler's own stop (the harness's entry serialising the profile:
  // bench/backend.ts from source, dist/bench/backend.js built) is not the
  // backend's work.
  const harnessFrame = new Map<number, boolean>();
  const underHarness = (id: number): boolean => {
    const known = harnessFrame.get(id);
    if (known !== undefined) return known;
    const url = nodes.get(id)!.callFrame.url;
    const parent = parents.get(id);
    const result = HARNESS_ENTRY.test(url) || (parent !== undefined && underHarness(parent));
    harnessFrame.set(id, result);
    return result;
  };
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = nodes.get(id)!;
    const cat = category(callFrame.url, callFrame.functionName);
    if (cat === '(idle)' || underHarness(id) || options.exclude?.test(cat)) continue;
    total += us;
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
    let fn = `${callFrame.functionName || '(anonymous)'} — ${cat}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    if (!callFrame.url || callFrame.url.startsWith('node:')) {
      const from = caller(id);
      if (from) fn += `, called from ${from}`;
    }
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const table = (title: string, entries: Map<string, number>, top: number) => {
    const rows = [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `| ${name.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} ms | ${((100 * us) / total).toFixed(1)} % |`);
    return [`| ${title} | self time | share |`, '|---|---|---|', ...rows].join('\n');
  };
  const markdown = [
    `Sampled ${(total / 1e6).toFixed(1)} s of CPU (idle excluded) in \`${path.basename(file)}\`.`,
    '',
    table('Where (package or file)', byCategory, options.topCategories ?? 12),
    '',
    table('Function', byFunction, options.topFunctions ?? 12),
  ].join('\n');
  return {
    markdown,
    share(label) {
      let us = 0;
      for (const [name, t] of byFunction) if (label.test(name)) us += t;
      return total ? us / total : 0;
    },
  };
}
