import { StoredFile } from '../database/FileStore';
import { ExportRecord } from '../exports/types';
import { Artifact, MirrorRun, SelectionReason } from '../types';
import { BackpackFileOutcome, BackpackVersionDecision } from './topics';

/**
 * Versions of one artifact decided together: those a run newly selected,
 * or those admission denied or a person approved.
 *
 * @public
 */
export interface VersionDecision {
  decision: BackpackVersionDecision;
  artifact: { processor: string; id: string };
  /** The versions, with why they were selected or the reason of a denial. */
  versions: Array<{ version: string; selection?: SelectionReason[]; reason?: string }>;
  /** The run that decided, when a run did. */
  runId?: string;
  /** Who decided, e.g. the user entity ref of an approver. */
  decidedBy?: string;
}

/**
 * What Backpack's services tell the outside about changes. Every method
 * returns at once and never throws: publishing happens in the background,
 * in order, and a failure to publish is logged, never a failure of the
 * change itself.
 *
 * Version decisions come from two places: the mirror runner tells of the
 * versions a run newly selected or denied, the approval service of a
 * person's approval (`approved`) or rejection (`denied`).
 *
 * @public
 */
export interface BackpackEvents {
  /** False for the no-op publisher; lets callers skip work done only for events. */
  readonly enabled: boolean;
  artifactCreated(artifact: Artifact, options?: { promoted?: boolean }): void;
  artifactUpdated(artifact: Artifact, changed: string[]): void;
  artifactDeleted(artifact: { processor: string; id: string }): void;
  versionsDecided(decision: VersionDecision): void;
  /** A file was collected, failed an attempt, or was parked; batched per run. */
  fileSettled(file: StoredFile, outcome: BackpackFileOutcome): void;
  runStarted(run: MirrorRun): void;
  /** A run settled; its batched file events are published first. */
  runFinished(runId: string): void;
  exportSealed(record: ExportRecord): void;
  /** Publishes what is batched and waits (bounded) for publishing in progress; at shutdown. */
  stop(): Promise<void>;
}

/** Publishes nothing: Backpack without an events service, or with events disabled. @public */
export const noopBackpackEvents: BackpackEvents = {
  enabled: false,
  artifactCreated() {},
  artifactUpdated() {},
  artifactDeleted() {},
  versionsDecided() {},
  fileSettled() {},
  runStarted() {},
  runFinished() {},
  exportSealed() {},
  async stop() {},
};
