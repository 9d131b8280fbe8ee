import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  EntityLink,
} from '@backstage/catalog-model';
import { RootArtifact } from './BackpackArtifactsClient';
import { artifactEntityName } from './entityName';
import { apiLink, registryViewLink, ViewLinkContext } from './registryViewLinks';

/** The annotations Backpack's catalog entities carry. @public */
export const BACKPACK_ANNOTATIONS = {
  processor: 'backpack.io/processor',
  id: 'backpack.io/id',
  filter: 'backpack.io/filter',
  filterType: 'backpack.io/filter-type',
  status: 'backpack.io/status',
} as const;

/** The `spec.type` of the entities. */
export const MIRRORED_PACKAGE_TYPE = 'mirrored-package';

/** What every entity shares: owner, namespace, system, and where links point. */
export interface EntityContext extends ViewLinkContext {
  owner: string;
  namespace: string;
  system?: string;
}

/** A tag is lower-case words of [a-z0-9:+#] joined by `-`, at most 63 characters. */
const TAG = /^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$/;

/** The catalog entity of a root artifact. */
export function artifactEntity(artifact: RootArtifact, ctx: EntityContext): Entity {
  const api = apiLink(artifact, ctx);
  const view = registryViewLink(artifact, ctx);
  const links: EntityLink[] = view ? [api, view] : [api];
  const location = `url:${api.url}`;
  const annotations: Record<string, string> = {
    [ANNOTATION_LOCATION]: location,
    [ANNOTATION_ORIGIN_LOCATION]: location,
    [BACKPACK_ANNOTATIONS.processor]: artifact.processor,
    [BACKPACK_ANNOTATIONS.id]: artifact.id,
    [BACKPACK_ANNOTATIONS.status]: artifact.status,
  };
  if (artifact.filter) annotations[BACKPACK_ANNOTATIONS.filter] = artifact.filter;
  if (artifact.filterType) annotations[BACKPACK_ANNOTATIONS.filterType] = artifact.filterType;
  const tags = ['backpack', artifact.processor].filter(tag => tag.length <= 63 && TAG.test(tag));
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: artifactEntityName(artifact.processor, artifact.id),
      namespace: ctx.namespace,
      title: artifact.id,
      description: `${artifact.processor} package ${artifact.id} mirrored by Backpack (${
        artifact.filter ? `versions ${artifact.filter}` : 'all versions'
      })`,
      annotations,
      tags,
      links,
    },
    spec: {
      type: MIRRORED_PACKAGE_TYPE,
      owner: ctx.owner,
      ...(ctx.system ? { system: ctx.system } : {}),
    },
  };
}
