import { createPermission } from '@backstage/plugin-permission-common';

/**
 * The resource type of Backpack artifacts, used by resource permissions and
 * by conditional decisions. A resource ref is `<processor>:<id>`.
 *
 * @public
 */
export const BACKPACK_ARTIFACT_RESOURCE_TYPE = 'backpack-artifact';

/**
 * Read an artifact, its versions, files and dependencies; list artifacts.
 * Conditional decisions restrict lists.
 *
 * @public
 */
export const backpackArtifactReadPermission = createPermission({
  name: 'backpack.artifact.read',
  attributes: { action: 'read' },
  resourceType: BACKPACK_ARTIFACT_RESOURCE_TYPE,
});

/**
 * Add a root artifact. A basic permission: the artifact does not exist yet.
 *
 * @public
 */
export const backpackArtifactCreatePermission = createPermission({
  name: 'backpack.artifact.create',
  attributes: { action: 'create' },
});

/**
 * Change an artifact's filter, config or dependency policy.
 *
 * @public
 */
export const backpackArtifactUpdatePermission = createPermission({
  name: 'backpack.artifact.update',
  attributes: { action: 'update' },
  resourceType: BACKPACK_ARTIFACT_RESOURCE_TYPE,
});

/**
 * Delete an artifact with its versions and files.
 *
 * @public
 */
export const backpackArtifactDeletePermission = createPermission({
  name: 'backpack.artifact.delete',
  attributes: { action: 'delete' },
  resourceType: BACKPACK_ARTIFACT_RESOURCE_TYPE,
});

/**
 * Start a mirror run now.
 *
 * @public
 */
export const backpackRunCreatePermission = createPermission({
  name: 'backpack.run.create',
  attributes: { action: 'create' },
});

/**
 * See the mirror runs that walk every root (full runs), with their counters
 * and errors. A basic permission: such a run covers every artifact. A run
 * scoped to one artifact is visible to whoever may read that artifact
 * (`backpack.artifact.read`), with or without this permission.
 *
 * @public
 */
export const backpackRunReadPermission = createPermission({
  name: 'backpack.run.read',
  attributes: { action: 'read' },
});

/**
 * Queue an artifact's failed files for collection again.
 *
 * @public
 */
export const backpackFileRetryPermission = createPermission({
  name: 'backpack.file.retry',
  attributes: { action: 'update' },
  resourceType: BACKPACK_ARTIFACT_RESOURCE_TYPE,
});

/**
 * Approve a version that waits for approval (its files are then queued),
 * or reject a version (it is then denied: never collected, served or
 * exported). A resource permission: conditions may restrict it to some
 * artifacts.
 *
 * @public
 */
export const backpackVersionApprovePermission = createPermission({
  name: 'backpack.version.approve',
  attributes: { action: 'update' },
  resourceType: BACKPACK_ARTIFACT_RESOURCE_TYPE,
});

/**
 * Build an export bundle of the mirror (full or delta). A basic permission:
 * a bundle carries every artifact's files.
 *
 * @public
 */
export const backpackExportCreatePermission = createPermission({
  name: 'backpack.export.create',
  attributes: { action: 'create' },
});

/**
 * Delete an export bundle: its parts, manifest and record. A basic
 * permission, like creating one.
 *
 * @public
 */
export const backpackExportDeletePermission = createPermission({
  name: 'backpack.export.delete',
  attributes: { action: 'delete' },
});

/**
 * Every permission Backpack defines.
 *
 * @public
 */
export const backpackPermissions = [
  backpackArtifactReadPermission,
  backpackArtifactCreatePermission,
  backpackArtifactUpdatePermission,
  backpackArtifactDeletePermission,
  backpackRunCreatePermission,
  backpackRunReadPermission,
  backpackFileRetryPermission,
  backpackVersionApprovePermission,
  backpackExportCreatePermission,
  backpackExportDeletePermission,
];

/**
 * The permissions that belong to the `backpack-artifact` resource type.
 *
 * @public
 */
export const backpackArtifactPermissions = [
  backpackArtifactReadPermission,
  backpackArtifactUpdatePermission,
  backpackArtifactDeletePermission,
  backpackFileRetryPermission,
  backpackVersionApprovePermission,
];

/**
 * The permissions without a resource type.
 *
 * @public
 */
export const backpackBasicPermissions = [
  backpackArtifactCreatePermission,
  backpackRunCreatePermission,
  backpackRunReadPermission,
  backpackExportCreatePermission,
  backpackExportDeletePermission,
];
