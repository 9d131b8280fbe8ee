import {
  FileErrorKind,
  MirrorRunCounters,
  MirrorRunStatus,
  MirrorRunTrigger,
  SelectionReason,
} from '../types';

/**
 * The topics Backpack publishes on through Backstage's events service.
 * Every payload carries ids and absolute links to the REST resources; never
 * an artifact's config, file URLs or credentials.
 *
 * @public
 */
export const BACKPACK_EVENT_TOPICS = {
  artifactCreated: 'backpack.artifact.created',
  artifactUpdated: 'backpack.artifact.updated',
  artifactDeleted: 'backpack.artifact.deleted',
  versionSelected: 'backpack.version.selected',
  versionDenied: 'backpack.version.denied',
  versionApproved: 'backpack.version.approved',
  fileCollected: 'backpack.file.collected',
  fileFailed: 'backpack.file.failed',
  fileParked: 'backpack.file.parked',
  runStarted: 'backpack.run.started',
  runFinished: 'backpack.run.finished',
  exportSealed: 'backpack.export.sealed',
} as const;

/** @public */
export type BackpackEventTopic = (typeof BACKPACK_EVENT_TOPICS)[keyof typeof BACKPACK_EVENT_TOPICS];

/** An artifact as events name it, with the link to its REST resource. @public */
export interface BackpackEventArtifactRef {
  processor: string;
  id: string;
  /** `<base>/artifacts/<processor>/<id>` */
  link: string;
}

/** Payload of `backpack.artifact.created` and `backpack.artifact.updated`. @public */
export interface BackpackArtifactEventPayload {
  artifact: BackpackEventArtifactRef & {
    root: boolean;
    filter?: string;
    filterType?: string;
    dependencyPolicy: string;
    status: string;
    createdBy?: string;
  };
  /** created: true when an artifact known as a dependency became a root. */
  promoted?: boolean;
  /** updated: the fields the update changed (`config` is named, never shown). */
  changed?: string[];
  occurredAt: string;
}

/** Payload of `backpack.artifact.deleted`. @public */
export interface BackpackArtifactDeletedPayload {
  artifact: BackpackEventArtifactRef;
  occurredAt: string;
}

/** How versions were decided, the part of a topic after `backpack.version.`. @public */
export type BackpackVersionDecision = 'selected' | 'denied' | 'approved';

/** Payload of `backpack.version.selected`, `.denied` and `.approved`: one artifact's versions. @public */
export interface BackpackVersionEventPayload {
  artifact: BackpackEventArtifactRef;
  decision: BackpackVersionDecision;
  /** The run that decided, when a run did. */
  runId?: string;
  /** Who decided, when a person did (an approval). */
  decidedBy?: string;
  /** selected: why (the filter, or the parents that require it); denied: the reason. */
  versions: Array<{ version: string; selection?: SelectionReason[]; reason?: string }>;
  /** `<base>/artifacts/<processor>/<id>/versions` */
  versionsLink: string;
  occurredAt: string;
}

/** Whether a file was collected, failed an attempt (retried later) or was parked. @public */
export type BackpackFileOutcome = 'collected' | 'failed' | 'parked';

/** One file of a `backpack.file.*` batch. @public */
export interface BackpackFileEventEntry {
  processor: string;
  id: string;
  version: string;
  name: string;
  size?: number;
  /** The digest the upstream declared, which the collected bytes were checked against. */
  integrity?: { algorithm: string; digest: string };
  /** failed and parked: the kind and a short message, URLs' credentials removed. */
  errorKind?: FileErrorKind;
  error?: string;
  /** `<base>/artifacts/<processor>/<id>/versions/<version>/files` */
  link: string;
}

/**
 * Payload of `backpack.file.collected`, `.failed` and `.parked`: the files
 * of one run with that outcome since the last batch, in order.
 *
 * @public
 */
export interface BackpackFileEventPayload {
  outcome: BackpackFileOutcome;
  /** The run that queued the files; absent for files queued outside a run (sweeps, retries). */
  runId?: string;
  /** `<base>/runs/<runId>` when there is a run. */
  runLink?: string;
  files: BackpackFileEventEntry[];
  occurredAt: string;
}

/** Payload of `backpack.run.started` and `backpack.run.finished`. @public */
export interface BackpackRunEventPayload {
  run: {
    id: string;
    trigger: MirrorRunTrigger;
    scope?: { processor: string; id: string };
    requestedBy?: string;
    status: MirrorRunStatus;
    startedAt?: string;
    finishedAt?: string;
    error?: string;
    counters: MirrorRunCounters;
    /** `<base>/runs/<id>` */
    link: string;
  };
  occurredAt: string;
}

/** Payload of `backpack.export.sealed`. @public */
export interface BackpackExportSealedPayload {
  export: {
    id: string;
    kind: string;
    processors?: string[];
    requestedBy?: string;
    /** The manifest's aggregate sha256. */
    seal?: string;
    files: number;
    totalBytes: number;
    parts: number;
    /** `<base>/exports/<id>` */
    link: string;
    /** `<base>/exports/<id>/manifest` */
    manifestLink: string;
  };
  occurredAt: string;
}
