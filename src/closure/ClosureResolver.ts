import { ClosureResolverOptions, ClosureResult, ClosureRoot } from './closureTypes';
import { ClosureWalk } from './ClosureWalk';

// The resolver's data types are part of its API; importers keep one entry point.
export type {
  ClosureAdmissionRequest,
  ClosureAdmitFn,
  ClosureArtifact,
  ClosureArtifactError,
  ClosureDescribeFn,
  ClosureDiscoverFn,
  ClosureDiscovery,
  ClosureFilterCompiler,
  ClosureRefusal,
  ClosureResolverOptions,
  ClosureResult,
  ClosureRoot,
  ClosureVersion,
} from './closureTypes';

/**
 * Walks the dependency graph from root artifacts to a fixpoint over
 * (artifact, version) pairs. Pure: it reads upstreams only through the
 * discover callback and returns plain data for a persistence layer.
 *
 * - A root selects the versions its filter matches (all when empty).
 * - Each selected version's dependency ranges resolve per the parent's
 *   policy (`none`, `latest`, `all-satisfying`, `all`); artifacts reached
 *   only as dependencies use `latest`.
 * - Selections accumulate with their reasons, so two parents requiring
 *   different ranges select both versions, and cycles end because a
 *   version is expanded once.
 * - Unknown packages, unsatisfiable ranges and unsupported specs are
 *   recorded on the dependency; failed discoveries on the artifact. Neither
 *   stops the walk. Only an abort (or a bug) rejects.
 *
 * @public
 */
export class ClosureResolver {
  constructor(private readonly options: ClosureResolverOptions) {}

  /** Resolves the closure of `roots`; each artifact is discovered at most once per call. */
  resolve(roots: ClosureRoot[], options: { signal?: AbortSignal } = {}): Promise<ClosureResult> {
    return new ClosureWalk(this.options, options.signal).run(roots);
  }
}
