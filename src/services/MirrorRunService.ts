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
  getRun(id: string): Promise<MirrorRun>;
  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
  }): Promise<{ items: MirrorRun[]; total: number }>;
}
