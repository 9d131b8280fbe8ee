/**
 * Backpack: mirrors packages and their dependency closures from public
 * registries into S3 so they can be installed in air-gapped networks.
 *
 * @packageDocumentation
 */
export { backpackPlugin as default } from './plugin';
export * from './types';
export * from './extensions';
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
  backpackExportCreatePermission,
  BACKPACK_ARTIFACT_RESOURCE_TYPE,
  backpackArtifactResourceRef,
  backpackArtifactRules,
  backpackArtifactConditions,
  createBackpackArtifactConditionalDecision,
} from './permissions';
