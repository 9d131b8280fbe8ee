import {
  AuditorService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ArtifactService } from '../services/ArtifactService';
import { CollectionService } from '../services/CollectionService';
import { ExportService } from '../services/ExportService';
import { MirrorRunService } from '../services/MirrorRunService';
import { ArtifactAuthorizer } from './ArtifactAuthorizer';

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
}
