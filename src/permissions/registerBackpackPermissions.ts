import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import { Artifact } from '../types';
import {
  backpackArtifactPermissions,
  backpackBasicPermissions,
} from './permissions';
import { backpackArtifactResourceRef, parseArtifactResourceRef } from './resource';
import { hasProcessor, isRoot } from './rules';

/**
 * Registers Backpack's permissions, the `backpack-artifact` resource type and
 * its rules, so that policies can return conditional decisions. Call it from
 * the plugin's init.
 *
 * @param options.getArtifact - loads an artifact for the permission backend
 *   when it evaluates conditions on resource refs (`<processor>:<id>`).
 */
export function registerBackpackPermissions(
  permissionsRegistry: PermissionsRegistryService,
  options: {
    getArtifact(processor: string, id: string): Promise<Artifact | undefined>;
  },
): void {
  permissionsRegistry.addPermissions(backpackBasicPermissions);
  permissionsRegistry.addResourceType({
    resourceRef: backpackArtifactResourceRef,
    permissions: backpackArtifactPermissions,
    rules: [hasProcessor, isRoot],
    getResources: async refs =>
      Promise.all(
        refs.map(async ref => {
          const key = parseArtifactResourceRef(ref);
          return key ? options.getArtifact(key.processor, key.id) : undefined;
        }),
      ),
  });
}
