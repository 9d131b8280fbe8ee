export * from './permissions';
export {
  backpackArtifactResourceRef,
  artifactResourceRef,
  parseArtifactResourceRef,
} from './resource';
export { hasProcessor, isRoot, backpackArtifactRules } from './rules';
export {
  backpackArtifactConditions,
  createBackpackArtifactConditionalDecision,
} from './conditions';
export { registerBackpackPermissions } from './registerBackpackPermissions';
