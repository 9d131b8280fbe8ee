import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';
import { asError } from '../lib/errorMessage';
import { ArtifactAuthorizer } from '../permissions/ArtifactAuthorizer';
import { Artifact } from '../types';

/**
 * Runs a write under an audit event: the event is opened before the action
 * (authorization included, so refused attempts are recorded too) and closed
 * with success or with the error, which is then rethrown.
 */
export async function auditedAction<T>(
  auditor: AuditorService,
  options: {
    eventId: string;
    severityLevel: AuditorServiceEventSeverityLevel;
    request: Request;
    meta?: JsonObject;
  },
  action: () => Promise<{ result: T; meta?: JsonObject }>,
): Promise<T> {
  const event = await auditor.createEvent(options);
  try {
    const { result, meta } = await action();
    await event.success(meta ? { meta } : undefined);
    return result;
  } catch (error) {
    await event.fail({
      error: asError(error),
    });
    throw error;
  }
}

/**
 * A write to the artifact a route's path names, under an audit event that
 * names it (with `meta`): the caller's permission on the artifact is asked
 * inside the event, so refusals are recorded too; then `action` runs with
 * the stored artifact.
 */
export function auditedArtifactWrite<T>(
  deps: { auditor: AuditorService; authorizer: ArtifactAuthorizer },
  options: {
    eventId: string;
    severityLevel: AuditorServiceEventSeverityLevel;
    request: Request;
    credentials: BackstageCredentials;
    permission: Parameters<ArtifactAuthorizer['authorizeArtifact']>[0];
    artifact: { processor: string; id: string };
    meta?: JsonObject;
  },
  action: (artifact: Artifact) => Promise<{ result: T; meta?: JsonObject }>,
): Promise<T> {
  const { eventId, severityLevel, request, artifact } = options;
  return auditedAction(
    deps.auditor,
    { eventId, severityLevel, request, meta: { ...artifact, ...options.meta } },
    async () =>
      action(await deps.authorizer.authorizeArtifact(options.permission, options.credentials, artifact)),
  );
}
