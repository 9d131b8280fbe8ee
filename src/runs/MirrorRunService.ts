import { RunVisibility } from '../database/artifactScope';
import { MirrorRun, MirrorRunStatus, MirrorRunTrigger } from '../types';

/** Starts and reports mirror runs. */
export interface MirrorRunService {
  /**
   * Records a queued run and starts it in the background on this replica;
   * resolves with the run as created, before the walk finishes.
   */
  startRun(request: {
    trigger: MirrorRunTrigger;
    scope?: { processor: string; id: string };
    requestedBy?: string;
  }): Promise<MirrorRun>;
  /**
   * A run; a NotFoundError when it is missing or, given `visible`, not one
   * the caller may see (the same error for both).
   */
  getRun(id: string, visible?: RunVisibility): Promise<MirrorRun>;
  /** Newest first; only the runs `visible` lets through when given. */
  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }): Promise<{ items: MirrorRun[]; total: number }>;
}
