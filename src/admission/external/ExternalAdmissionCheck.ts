/**
 * An admission check served by a plugin in another process (any language),
 * over Backpack's stdio plugin host: protocol `backpack-admission`,
 * version 1. Backpack sends `check` with the artifact, version, metadata
 * and dependency path; the plugin answers `{decision, reason}`. The host
 * starts it lazily, restarts it after a crash, stops it when idle and at
 * shutdown. A plugin that fails, hangs or answers nonsense fails the
 * check, which denies the version (fail closed) without caching the answer.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { PluginHost } from '../../plugins/host';
import { AdmissionAnswer, AdmissionRequest, BackpackAdmissionCheck } from '../types';
import { ExternalAdmissionSettings } from './externalAdmissionConfig';

/** The protocol's name in the handshake. */
export const ADMISSION_PROTOCOL = 'backpack-admission';

/** Longest reason kept from a plugin. */
const MAX_REASON = 1000;

/** An external admission check, which must be closed at shutdown. */
export interface ExternalAdmissionCheck extends BackpackAdmissionCheck {
  /** The plugin's process id while it runs; for tests and diagnostics. */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

/** Reads a plugin's answer; throws an Error saying what is wrong with it. */
export function parseAdmissionAnswer(result: unknown): AdmissionAnswer {
  const answer = (result ?? {}) as { decision?: unknown; reason?: unknown };
  const reason = typeof answer.reason === 'string' ? answer.reason.slice(0, MAX_REASON) : undefined;
  switch (answer.decision) {
    case 'allow':
      return { decision: 'allow', ...(reason ? { reason } : {}) };
    case 'deny':
    case 'pending-approval':
      if (!reason) throw new Error(`answered ${answer.decision} without a reason`);
      return { decision: answer.decision, reason };
    default:
      throw new Error(`answered ${JSON.stringify(answer.decision)?.slice(0, 100)}, not allow, deny or pending-approval`);
  }
}

/** Creates the check of one `backpack.admission.external` entry. */
export function createExternalAdmissionCheck(options: {
  settings: ExternalAdmissionSettings;
  logger: LoggerService;
}): ExternalAdmissionCheck {
  const { settings, logger } = options;
  const host = new PluginHost({
    label: `admission ${settings.name}`,
    command: settings.command,
    env: settings.env,
    logger,
    protocol: ADMISSION_PROTOCOL,
    protocolVersions: [1],
    timeoutMs: settings.timeoutMs,
    idleMs: settings.idleSeconds * 1000,
    graceMs: settings.graceMs,
    startTimeoutMs: settings.startTimeoutMs,
    maxConcurrentRequests: settings.maxConcurrentRequests,
  });
  return {
    name: settings.name,
    get pid() {
      return host.pid;
    },
    async check(request: AdmissionRequest, { signal }) {
      const result = await host.request('check', request, { signal });
      try {
        return parseAdmissionAnswer(result);
      } catch (error) {
        throw new Error(`plugin ${(error as Error).message}`);
      }
    },
    close: () => host.close(),
  };
}
