/**
 * The module graph of one module version as the go command loads it when
 * that version's requirements are a build's (the mirrored module is what
 * a consumer requires; a tidy consumer at go ≥ 1.17 lists what the module
 * lists), and minimal version selection over it.
 *
 * Graph pruning (go ≥ 1.17): the go.mod of every listed requirement is
 * read; the requirements of a pruned module (go ≥ 1.17 in its own go.mod)
 * join the graph as versions only, their go.mod unread; those of an
 * unpruned one (go ≤ 1.16, which lists no indirect requirements) are
 * followed transitively. A main module at go ≤ 1.16 loads everything.
 * `exclude` of the main module drops the requirements it names (Go 1.16+);
 * `replace` applies only in a consumer's own go.mod and is not followed.
 */
import { InputError } from '@backstage/errors';
import { Semaphore } from '../../lib/Semaphore';
import { GoModFile, GoRequirement } from './goMod';
import { goAtLeast, maxGoVersion } from './goSemver';

/** What minimal version selection needs from the graph of one module version. */
export interface ModuleClosure {
  /** The main module's own requirements (after `exclude`). */
  direct: GoRequirement[];
  /**
   * Per module path, MVS's version, for every path the go command builds
   * from (whose go.mod it reads), and for the main module's own path when
   * the graph requires a later version of it.
   */
  selected: Map<string, string>;
  /** Per module path, the versions whose go.mod the go command reads. */
  modsRead: Map<string, Set<string>>;
}

type Pruning = 'pruned' | 'unpruned';

const isPruned = (mod: GoModFile) => goAtLeast(mod.go, 1, 17);

/**
 * Loads the graph of `main` (its path and parsed go.mod) with `loadMod`,
 * at most `maxModules` go.mod files, `concurrency` at once; fails with the
 * first go.mod that cannot be read, as the go command would.
 */
export async function loadModuleClosure(
  main: { path: string; version: string; mod: GoModFile },
  loadMod: (path: string, version: string) => Promise<GoModFile>,
  options: { maxModules: number; concurrency: number; signal?: AbortSignal },
): Promise<ModuleClosure> {
  const excluded = new Set(main.mod.exclude.map(e => `${e.path}@${e.version}`));
  const requirements = (mod: GoModFile) =>
    mod.require.filter(r => !excluded.has(`${r.path}@${r.version}`));

  const nodes = new Map<string, string>();
  const modsRead = new Map<string, Set<string>>();
  const summaries = new Map<string, Promise<GoModFile>>();
  const queued = { pruned: new Set<string>(), unpruned: new Set<string>() };
  const pending = new Set<Promise<void>>();
  const limiter = new Semaphore(options.concurrency);
  let failure: unknown;

  const addNode = (r: GoRequirement) => {
    const current = nodes.get(r.path);
    nodes.set(r.path, current ? maxGoVersion(current, r.version) : r.version);
  };

  const loadOne = (r: GoRequirement): Promise<GoModFile> => {
    const key = `${r.path}@${r.version}`;
    let summary = summaries.get(key);
    if (!summary) {
      if (summaries.size >= options.maxModules) {
        throw new InputError(
          `the module graph reads more than ${options.maxModules} go.mod files (backpack.processors.go.maxGraphModules)`,
        );
      }
      summary = limiter.use(async () => {
        options.signal?.throwIfAborted();
        const mod = await loadMod(r.path, r.version);
        requirements(mod).forEach(addNode);
        let versions = modsRead.get(r.path);
        if (!versions) modsRead.set(r.path, (versions = new Set()));
        versions.add(r.version);
        return mod;
      });
      summaries.set(key, summary);
    }
    return summary;
  };

  const enqueue = (r: GoRequirement, pruning: Pruning) => {
    const key = `${r.path}@${r.version}`;
    if (queued[pruning].has(key)) return;
    queued[pruning].add(key);
    const task = (async () => {
      const mod = await loadOne(r);
      // A pruned module's own go.mod lists what its packages need; an
      // unpruned one's does not, so its whole graph is loaded.
      if (pruning === 'pruned' && isPruned(mod)) return;
      const next: Pruning = pruning === 'unpruned' || !isPruned(mod) ? 'unpruned' : 'pruned';
      for (const requirement of requirements(mod)) enqueue(requirement, next);
    })()
      .catch(error => {
        failure ??= error;
      })
      .finally(() => pending.delete(task));
    pending.add(task);
  };

  // The version itself is in the graph: a consumer that requires it gets
  // a later one when the graph requires that (unlike the main module, which
  // the go command never replaces).
  addNode({ path: main.path, version: main.version, indirect: false });
  const direct = requirements(main.mod);
  direct.forEach(addNode);
  for (const r of direct) enqueue(r, isPruned(main.mod) ? 'pruned' : 'unpruned');
  while (pending.size > 0) await Promise.all([...pending]);
  if (failure) throw failure;

  const selected = new Map<string, string>();
  for (const path of modsRead.keys()) selected.set(path, nodes.get(path)!);
  if (nodes.get(main.path) !== main.version) selected.set(main.path, nodes.get(main.path)!);
  return { direct, selected, modsRead };
}
