export { createTerraformProcessor } from './TerraformProcessor';
export type { TerraformProcessorOptions } from './TerraformProcessor';
export { terraformArtifactConfigSchema } from './terraformConfig';
export type { TerraformArtifactConfig } from './terraformConfig';
export { terraformVersionScheme } from './terraformVersion';
