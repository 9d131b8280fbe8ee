export { catalogModuleBackpackEntityProvider, CATALOG_TASK_IDS } from './catalogModule';
export { BACKPACK_ANNOTATIONS, MIRRORED_PACKAGE_TYPE } from './artifactEntity';
export { BACKPACK_ENTITY_PROVIDER_NAME } from './BackpackEntityProvider';
