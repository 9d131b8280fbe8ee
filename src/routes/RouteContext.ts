import {
  AuditorService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ApprovalService } from '../admission/ApprovalService';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ArtifactService } from '../artifacts/ArtifactService';
import { CollectionService } from '../collection/CollectionService';
import { ExportService } from '../exports/ExportService';
import { MirrorRunService } from '../runs/RunService';
import { ArtifactAuthorizer } from '../permissions/ArtifactAuthorizer';

/** What the route handlers of each resource share. */
export interface RouteContext {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  authorizer: ArtifactAuthorizer;
  artifacts: ArtifactService;
  runs: MirrorRunService;
  collection: CollectionService;
  exports: ExportService;
  processors: ProcessorRegistry;
  /** Approvals of versions; the approval routes answer 501 without it. */
  approvals?: ApprovalService;
}
