import { EntityLink } from '@backstage/catalog-model';
import { indexFilePath } from '../processors/cargo/cargoIndex';
import { escapeModulePath } from '../processors/go/modulePath';
import { HelmRepository, resolveHelmRepository } from '../processors/helm/helmConfig';
import { parseMavenId } from '../processors/maven/coordinates';

// Where a person (or a native client) looks at a root artifact in the
// mirror's registry views, as the README's "Installing from the mirror"
// documents them. An ecosystem without a view (an external processor's)
// gets no link rather than a guessed one.

/** What a view link is built from. */
export interface ViewLinkContext {
  /** Backpack's external base URL, e.g. `https://backstage.example.com/api/backpack`. */
  baseUrl: string;
  /** The configured Helm repositories by alias (`backpack.processors.helm.repositories`). */
  helmRepositories: ReadonlyMap<string, HelmRepository>;
}

/** What a view link needs of an artifact. */
export interface ViewLinkArtifact {
  processor: string;
  id: string;
  config?: Record<string, unknown>;
}

/**
 * Each path segment percent-encoded, except `@` and `:`, which paths may
 * carry as they are and the views' routes match literally (`@scope/name`).
 */
const segments = (path: string) =>
  path
    .split('/')
    .map(segment => encodeURIComponent(segment).replace(/%40/g, '@').replace(/%3A/gi, ':'))
    .join('/');

type ViewPath = (artifact: ViewLinkArtifact, ctx: ViewLinkContext) => { path: string; title: string } | undefined;

const VIEW_PATHS: Record<string, ViewPath> = {
  npm: ({ id }) => ({ path: `npm/${segments(id)}`, title: 'npm registry view (packument)' }),
  pypi: ({ id }) => ({ path: `pypi/simple/${encodeURIComponent(id)}/`, title: 'PyPI simple index view' }),
  maven: ({ id }) => {
    const { groupId, artifactId } = parseMavenId(id);
    return {
      path: `maven/${segments(groupId.replace(/\./g, '/'))}/${encodeURIComponent(artifactId)}/maven-metadata.xml`,
      title: 'Maven repository view (maven-metadata.xml)',
    };
  },
  // The OCI view lives at the backend's origin, where container clients look.
  oci: ({ id }) => ({ path: `/v2/${segments(id)}/tags/list`, title: 'OCI registry view (tags)' }),
  nuget: ({ id }) => ({
    path: `nuget/v3-flatcontainer/${encodeURIComponent(id.toLowerCase())}/index.json`,
    title: 'NuGet feed view (versions)',
  }),
  cargo: ({ id }) => ({ path: `cargo/${segments(indexFilePath(id))}`, title: 'Cargo sparse index view' }),
  go: ({ id }) => ({ path: `go/${segments(escapeModulePath(id))}/@v/list`, title: 'GOPROXY view (versions)' }),
  composer: ({ id }) => ({ path: `composer/p2/${segments(id.toLowerCase())}.json`, title: 'Composer repository view' }),
  helm: ({ config }, ctx) => {
    const repository = config?.repository;
    if (typeof repository !== 'string') return undefined;
    try {
      const { alias } = resolveHelmRepository(repository, ctx.helmRepositories);
      return { path: `helm/${encodeURIComponent(alias)}/index.yaml`, title: 'Helm repository view (index.yaml)' };
    } catch {
      return undefined; // a repository no longer configured has no view
    }
  },
};

/** The link to an artifact's REST resource. */
export function apiLink(artifact: ViewLinkArtifact, ctx: ViewLinkContext): EntityLink {
  return {
    url: `${ctx.baseUrl}/artifacts/${encodeURIComponent(artifact.processor)}/${encodeURIComponent(artifact.id)}`,
    title: 'Backpack API (artifact)',
    type: 'backpack-api',
  };
}

/** The link to the artifact in its ecosystem's registry view, when there is one. */
export function registryViewLink(artifact: ViewLinkArtifact, ctx: ViewLinkContext): EntityLink | undefined {
  const viewPath = Object.hasOwn(VIEW_PATHS, artifact.processor) ? VIEW_PATHS[artifact.processor] : undefined;
  let view: ReturnType<ViewPath>;
  try {
    view = viewPath?.(artifact, ctx);
  } catch {
    return undefined; // an id the ecosystem's path rules cannot place
  }
  if (!view) return undefined;
  const url = view.path.startsWith('/')
    ? new URL(view.path, ctx.baseUrl).toString()
    : `${ctx.baseUrl}/${view.path}`;
  return { url, title: view.title, type: 'backpack-registry-view' };
}
