import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { ArtifactFilter } from '../database/artifactScope';
import { Artifact } from '../types';
import { BACKPACK_ARTIFACT_RESOURCE_TYPE } from './permissions';

/**
 * Identifies the `backpack-artifact` resource type: rules apply to
 * {@link Artifact}s and translate to {@link ArtifactFilter} queries.
 *
 * @public
 */
export const backpackArtifactResourceRef = createPermissionResourceRef<
  Artifact,
  ArtifactFilter
>().with({
  pluginId: 'backpack',
  resourceType: BACKPACK_ARTIFACT_RESOURCE_TYPE,
});

/**
 * The resource ref of an artifact: `<processor>:<id>`. Processor names never
 * contain a colon, ids may (Maven's `groupId:artifactId`).
 *
 * @public
 */
export function artifactResourceRef(artifact: {
  processor: string;
  id: string;
}): string {
  return `${artifact.processor}:${artifact.id}`;
}

/**
 * Splits a resource ref made by {@link artifactResourceRef}; undefined when
 * it has no colon.
 *
 * @public
 */
export function parseArtifactResourceRef(
  ref: string,
): { processor: string; id: string } | undefined {
  const colon = ref.indexOf(':');
  if (colon <= 0 || colon === ref.length - 1) return undefined;
  return { processor: ref.slice(0, colon), id: ref.slice(colon + 1) };
}
