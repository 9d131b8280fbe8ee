export { createExternalProcessor } from './ExternalProcessor';
export type { ExternalProcessor } from './ExternalProcessor';
export type { ExternalProcessorSettings } from './externalConfig';
export { readExternalProcessorSettings } from './externalConfig';
export { backpackModuleExternalProcessors } from './module';
