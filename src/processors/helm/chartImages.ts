import { ProcessorDependency } from '../types';
import { asList, asMap, asString, parseUpstreamYaml } from './helmYaml';
import { OciTargets } from './ociTargets';

/** Annotations that list a chart's images (Artifact Hub's, and Helm's proposed one). */
export const IMAGE_ANNOTATIONS = ['artifacthub.io/images', 'helm.sh/images'];

/** Deepest values.yaml nesting followed. */
const MAX_DEPTH = 64;

/** Keys whose string value is an image reference: `image`, `initImage`, `sidecar_image`. */
const IMAGE_KEY = /(?:^|[_-]|[a-z])(?:image|Image)$/;

/** What an image reference could look like: no spaces, no template, not empty, not a URL. */
const REFERENCE = /^(?![a-z][a-z0-9+.-]*:\/\/)[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

/** An image found in a chart, and where. */
export interface FoundImage {
  reference: string;
  source: string;
}

/**
 * Images of the image annotations: lists of references or of `{image}`
 * maps, as YAML text. `where` names a subchart's folder in sources.
 */
export function annotationImages(annotations: Record<string, unknown> | undefined, where = ''): FoundImage[] {
  const found: FoundImage[] = [];
  for (const key of IMAGE_ANNOTATIONS) {
    const text = asString(annotations?.[key]);
    if (!text) continue;
    let parsed: unknown;
    try {
      parsed = parseUpstreamYaml(text, `annotation ${key}`);
    } catch {
      continue;
    }
    for (const item of asList(parsed)) {
      const reference = asString(item) ?? asString(asMap(item)?.image);
      if (reference) found.push({ reference: reference.trim(), source: `${where ? `${where} ` : ''}annotation ${key}` });
    }
  }
  return found;
}

/**
 * Image references in values.yaml: a string under an image key
 * (`image: nginx:1.27`), and maps with a `repository` and a `registry`,
 * `tag` or `digest` (or under an image key), as most charts write them, or
 * with an `image` and a `registry`, `tag` or `digest` (ingress-nginx).
 * An empty tag is the chart's appVersion, as chart templates default it.
 */
export function valuesImages(
  values: unknown,
  options: { appVersion?: string; maxNodes: number; file?: string },
): FoundImage[] {
  const file = options.file ?? 'values.yaml';
  const found: FoundImage[] = [];
  let nodes = 0;
  const visit = (node: unknown, path: string[], depth: number) => {
    nodes += 1;
    if (nodes > options.maxNodes || depth > MAX_DEPTH) return;
    const where = `${file} ${path.join('.') || '(root)'}`;
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, [...path, String(i)], depth + 1));
      return;
    }
    const map = asMap(node);
    if (!map) return;
    const key = path[path.length - 1] ?? '';
    const parts = 'registry' in map || 'tag' in map || 'digest' in map;
    const repository = asString(map.repository);
    // `{registry, image, tag, digest}` (ingress-nginx and others) names the repository `image`.
    const imageName = asString(map.image);
    let name: string | undefined;
    if (repository && (parts || IMAGE_KEY.test(key))) name = repository;
    else if (parts) name = imageName;
    if (name) {
      const reference = imageOfMap(map, name, options.appVersion);
      if (reference) found.push({ reference: reference.text, source: `${where}${reference.fromAppVersion ? ' (tag: the chart appVersion)' : ''}` });
      // Its parts are no images of their own.
      if (name === imageName) return;
    }
    for (const [child, value] of Object.entries(map)) {
      const text = asString(value);
      if (text !== undefined && IMAGE_KEY.test(child) && REFERENCE.test(text.trim())) {
        found.push({ reference: text.trim(), source: `${file} ${[...path, child].join('.')}` });
      } else {
        visit(value, [...path, child], depth + 1);
      }
    }
  };
  visit(values, [], 0);
  return found;
}

function imageOfMap(
  map: Record<string, unknown>,
  repository: string,
  appVersion: string | undefined,
): { text: string; fromAppVersion: boolean } | undefined {
  const registry = asString(map.registry)?.trim();
  const tag = asString(map.tag)?.trim();
  const digest = asString(map.digest)?.trim();
  const name = registry ? `${registry.replace(/\/+$/, '')}/${repository.trim()}` : repository.trim();
  if (!REFERENCE.test(name) || name.includes('@')) return undefined;
  // A repository that carries its own tag keeps it.
  const hasTag = name.lastIndexOf(':') > name.lastIndexOf('/');
  const fromAppVersion = !tag && !digest && !hasTag && Boolean(appVersion);
  const tagPart = tag || (fromAppVersion ? appVersion : '');
  const text = `${name}${tagPart && !hasTag ? `:${tagPart}` : ''}${digest ? `@${digest}` : ''}`;
  return REFERENCE.test(text) ? { text, fromAppVersion } : undefined;
}

/**
 * The images as dependencies on the `oci` processor, one per image and
 * range, with every place it was found in `source`; references to
 * registries without an alias are unresolvable, saying why.
 */
export function imageDependencies(images: FoundImage[], targets: OciTargets): ProcessorDependency[] {
  const byKey = new Map<string, ProcessorDependency & { sources: string[] }>();
  for (const image of images) {
    const target = targets.image(image.reference);
    const key = target.ok ? `${target.id}\0${target.range}` : `!${image.reference}`;
    const existing = byKey.get(key);
    if (existing) {
      if (!existing.sources.includes(image.source)) existing.sources.push(image.source);
      continue;
    }
    byKey.set(key, {
      processor: 'oci',
      id: target.ok ? target.id : image.reference.slice(0, 512),
      range: target.ok ? target.range : '',
      kind: 'runtime',
      sources: [image.source],
      ...(target.ok ? {} : { unresolvable: `image '${image.reference.slice(0, 200)}': ${target.reason}` }),
    });
  }
  return [...byKey.values()].map(({ sources, ...dependency }) => ({ ...dependency, source: sources.join('; ') }));
}
