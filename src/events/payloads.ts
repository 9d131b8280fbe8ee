import { StoredFile } from '../database/FileStore';
import { ExportRecord } from '../exports/types';
import { redactUrl } from '../upstream/urls';
import { Artifact, MirrorRun } from '../types';
import {
  BackpackArtifactEventPayload,
  BackpackEventArtifactRef,
  BackpackExportSealedPayload,
  BackpackFileEventEntry,
  BackpackFileOutcome,
  BackpackRunEventPayload,
} from './topics';

// Payloads are built from an allow-list of fields: an artifact's config
// (which may hold registry credentials) and file URLs never leave.

/** Longest error message an event carries. */
const MAX_ERROR_LENGTH = 500;

const segment = encodeURIComponent;

export function artifactLink(base: string, artifact: { processor: string; id: string }): string {
  return `${base}/artifacts/${segment(artifact.processor)}/${segment(artifact.id)}`;
}

export function artifactRef(base: string, artifact: { processor: string; id: string }): BackpackEventArtifactRef {
  return { processor: artifact.processor, id: artifact.id, link: artifactLink(base, artifact) };
}

export function runLink(base: string, runId: string): string {
  return `${base}/runs/${segment(runId)}`;
}

/** An error message fit for an event: URLs without credentials or queries, bounded. */
export function redactedMessage(message: string): string {
  // A URL ends before whitespace, quotes and trailing punctuation.
  const redacted = message.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]*[^\s'"<>.,:;)\]]/gi, url => redactUrl(url));
  return redacted.length > MAX_ERROR_LENGTH ? `${redacted.slice(0, MAX_ERROR_LENGTH)}…` : redacted;
}

export function artifactPayload(
  base: string,
  artifact: Artifact,
  extra: Pick<BackpackArtifactEventPayload, 'promoted' | 'changed'>,
  occurredAt: string,
): BackpackArtifactEventPayload {
  return {
    artifact: {
      ...artifactRef(base, artifact),
      root: artifact.root,
      ...(artifact.filter ? { filter: artifact.filter } : {}),
      ...(artifact.filterType ? { filterType: artifact.filterType } : {}),
      dependencyPolicy: artifact.dependencyPolicy,
      status: artifact.status,
      ...(artifact.createdBy ? { createdBy: artifact.createdBy } : {}),
    },
    ...extra,
    occurredAt,
  };
}

export function fileEntry(base: string, file: StoredFile, outcome: BackpackFileOutcome): BackpackFileEventEntry {
  const artifact = { processor: file.processor, id: file.artifactId };
  return {
    processor: file.processor,
    id: file.artifactId,
    version: file.version,
    name: file.name,
    ...(file.size !== undefined ? { size: file.size } : {}),
    ...(file.integrity
      ? { integrity: { algorithm: file.integrity.algorithm, digest: file.integrity.digest } }
      : {}),
    ...(outcome !== 'collected' && file.errorKind ? { errorKind: file.errorKind } : {}),
    ...(outcome !== 'collected' && file.error ? { error: redactedMessage(file.error) } : {}),
    link: `${artifactLink(base, artifact)}/versions/${segment(file.version)}/files`,
  };
}

export function runPayload(base: string, run: MirrorRun, occurredAt: string): BackpackRunEventPayload {
  return {
    run: {
      id: run.id,
      trigger: run.trigger,
      ...(run.scope ? { scope: { processor: run.scope.processor, id: run.scope.id } } : {}),
      ...(run.requestedBy ? { requestedBy: run.requestedBy } : {}),
      status: run.status,
      ...(run.startedAt ? { startedAt: run.startedAt } : {}),
      ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
      ...(run.error ? { error: redactedMessage(run.error) } : {}),
      counters: { ...run.counters },
      link: runLink(base, run.id),
    },
    occurredAt,
  };
}

export function exportPayload(base: string, record: ExportRecord, occurredAt: string): BackpackExportSealedPayload {
  const link = `${base}/exports/${segment(record.id)}`;
  return {
    export: {
      id: record.id,
      kind: record.kind,
      ...(record.processors ? { processors: [...record.processors] } : {}),
      ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
      ...(record.seal ? { seal: record.seal } : {}),
      files: record.files,
      totalBytes: record.totalBytes,
      parts: record.parts.length,
      link,
      manifestLink: `${link}/manifest`,
    },
    occurredAt,
  };
}
