import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';
import { asError } from '../lib/errorMessage';

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
