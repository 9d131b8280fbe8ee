import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';

/** One audit event as a test sees it. */
export interface AuditRecord {
  options: AuditorServiceCreateEventOptions;
  outcome?: 'success' | 'fail';
  /** The meta given to success(). */
  meta?: unknown;
  error?: Error;
}

/** An auditor that keeps the events it is given, to assert on them. */
export function collectingAuditorService(events: AuditRecord[]): AuditorService {
  return {
    async createEvent(options) {
      const record: AuditRecord = { options };
      events.push(record);
      return {
        async success(details) {
          record.outcome = 'success';
          record.meta = details?.meta;
        },
        async fail({ error }) {
          record.outcome = 'fail';
          record.error = error;
        },
      };
    },
  };
}

/** {@link collectingAuditorService} as the plugin's auditor, for a test backend. */
export function collectingAuditor(events: AuditRecord[]) {
  return createServiceFactory({
    service: coreServices.auditor,
    deps: {},
    factory: (): AuditorService => collectingAuditorService(events),
  });
}
