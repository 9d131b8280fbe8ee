/**
 * Backpack: mirrors packages and their dependency closures from public
 * registries into S3 so they can be installed in air-gapped networks.
 *
 * @packageDocumentation
 */
import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { backpackDefaultFeatures } from './features';

/**
 * The plugin with its built-in processors (npm, PyPI, Maven, OCI, Helm,
 * NuGet, Cargo, Go, Composer, Terraform, GitHub releases, files, Hugging
 * Face), each added through the processors extension point like any
 * module's, external processors and admission plugins from config, change
 * events, and Backpack's URL reader in the plugin's UrlReaderService:
 * `backend.add(import('@internal/plugin-backpack-backend'))`.
 *
 * @public
 */
const backpackFeatures = createBackendFeatureLoader({
  loader() {
    return backpackDefaultFeatures;
  },
});
export default backpackFeatures;

export { backpackPlugin } from './plugin';
export { backpackUrlReaderFactories } from './upstream/upstreamGateService';
export * from './modules';
export * from './types';
export * from './extensions';
export type { BackpackProcessorContext, BackpackProcessorFactory } from './processors/context';
export { UpstreamClient } from './upstream/UpstreamClient';
export type { UpstreamResponse, UpstreamClientOptions } from './upstream/UpstreamClient';
export type { ParsingLimits } from './upstream/limits';
export type {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  DiscoveryValidators,
  ProcessorDependency,
  ProcessorFile,
  ProcessorVersion,
  VersionScheme,
} from './processors/types';
export type {
  BundlePart,
  ExportKind,
  ExportRecord,
  ExportStatus,
} from './exports/types';
export {
  backpackPermissions,
  backpackArtifactReadPermission,
  backpackArtifactCreatePermission,
  backpackArtifactUpdatePermission,
  backpackArtifactDeletePermission,
  backpackRunCreatePermission,
  backpackFileRetryPermission,
  backpackVersionApprovePermission,
  backpackExportCreatePermission,
  BACKPACK_ARTIFACT_RESOURCE_TYPE,
  backpackArtifactResourceRef,
  backpackArtifactRules,
  backpackArtifactConditions,
  createBackpackArtifactConditionalDecision,
} from './permissions';
export type {
  AdmissionAnswer,
  AdmissionDecision,
  AdmissionMetadata,
  AdmissionPathStep,
  AdmissionReason,
  AdmissionRequest,
  AdmissionVerdict,
  ArtifactAdmissionSettings,
  BackpackAdmissionCheck,
} from './admission/types';
export type { ExternalProcessor, ExternalProcessorSettings } from './processors/external';
export { backpackEventsExtensionPoint } from './events/module';
export type { BackpackEventsExtensionPoint } from './events/module';
export { noopBackpackEvents } from './events/BackpackEvents';
export type { BackpackEvents, VersionDecision } from './events/BackpackEvents';
export { BACKPACK_EVENT_TOPICS } from './events/topics';
export type {
  BackpackEventTopic,
  BackpackEventArtifactRef,
  BackpackArtifactEventPayload,
  BackpackArtifactDeletedPayload,
  BackpackVersionDecision,
  BackpackVersionEventPayload,
  BackpackFileOutcome,
  BackpackFileEventEntry,
  BackpackFileEventPayload,
  BackpackRunEventPayload,
  BackpackExportSealedPayload,
} from './events/topics';
export { catalogModuleBackpackEntityProvider, BACKPACK_ANNOTATIONS, MIRRORED_PACKAGE_TYPE } from './catalog';
