/**
 * A full run's conditional requests sent ahead of its walk. The walk
 * reaches an artifact only once its parent is expanded, so against an
 * upstream of some latency a run that finds nothing new waits for one
 * round trip per level of the graph, with few requests in flight on narrow
 * levels. The stored graph says which artifacts the last run reached: their
 * conditional requests are sent at once, as many in flight as the walk
 * would have, and the walk takes the answer when it gets there. Only a 304
 * is kept (a yes or no, nothing of the body): an artifact that changed is
 * asked again by the walk, which persists what is new, so nothing is held
 * in memory and nothing is written ahead of the walk.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { StoredArtifact } from '../database/ArtifactStore';
import { WalkedVersion } from '../database/VersionGraphStore';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';

/** Whether each artifact asked ahead answered 304, by `processor:id`. */
export type AnsweredAhead = Map<string, Promise<boolean>>;

/**
 * Sends the conditional requests of the artifacts a run reached before
 * (validators stored and a version that is not merely discovered), at most
 * `concurrency` at once. Requests not sent yet are dropped once `signal`
 * aborts (the run ended); a failed one answers false.
 */
export function askAhead(options: {
  artifacts: StoredArtifact[];
  versions: Map<number, WalkedVersion[]>;
  processors: ProcessorRegistry;
  logger: LoggerService;
  concurrency: number;
  signal: AbortSignal;
}): AnsweredAhead {
  const { processors, logger, signal } = options;
  const answered: AnsweredAhead = new Map();
  // A few workers take the artifacts in order, rather than a promise
  // waiting in a semaphore per artifact: a run asks thousands at once.
  const queue: Array<{ ask: () => Promise<boolean>; answer: (notModified: boolean) => void } | undefined> = [];
  for (const artifact of options.artifacts) {
    const last = artifact.validators;
    const processor = processors.find(artifact.processor);
    const reached = options.versions.get(artifact.ref)?.some(v => v.status !== 'discovered');
    if (!last || !processor || !reached || artifact.status !== 'ok') continue;
    const ask = async () => {
      const result = await processor.discover(
        { id: artifact.id, config: last.config ?? {} },
        { logger, signal, validators: { etag: last.etag, lastModified: last.lastModified } },
      );
      return result.notModified === true;
    };
    answered.set(
      `${artifact.processor}:${artifact.id}`,
      new Promise<boolean>(answer => queue.push({ ask, answer })),
    );
  }
  let next = 0;
  const work = async () => {
    while (next < queue.length) {
      const item = queue[next]!;
      // Let go of what was asked.
      queue[next++] = undefined;
      let notModified = false;
      try {
        notModified = !signal.aborted && (await item.ask());
      } catch {
        // A failed request answers no: the walk asks again.
      }
      item.answer(notModified);
    }
  };
  for (let i = 0; i < Math.min(options.concurrency, queue.length); i++) void work();
  return answered;
}
