export { createCargoProcessor } from './CargoProcessor';
export type { CargoProcessorOptions } from './CargoProcessor';
export { cargoArtifactConfigSchema, DEFAULT_CARGO_INDEX } from './cargoConfig';
export type { CargoArtifactConfig } from './cargoConfig';
export { cargoVersionScheme } from './cargoVersionScheme';
