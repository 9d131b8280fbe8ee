import { XMLParser } from 'fast-xml-parser';

/** What the views take from a .nuspec: its dependency groups. */
export interface NuspecDependencyGroup {
  targetFramework?: string;
  dependencies: Array<{ id: string; range?: string }>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  // Entities are never expanded: the document is upstream's.
  processEntities: false,
  isArray: name => name === 'group' || name === 'dependency',
});

const list = (value: unknown): Array<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter(v => v && typeof v === 'object') : [];

/**
 * The dependency groups of a .nuspec: `<group targetFramework>` elements,
 * or the flat `<dependency>` list of older packages as one group without
 * a framework. Undefined when the text is no nuspec.
 */
export function nuspecDependencyGroups(xml: string): NuspecDependencyGroup[] | undefined {
  let parsed: Record<string, any>;
  try {
    parsed = parser.parse(xml);
  } catch {
    return undefined;
  }
  const metadata = parsed?.package?.metadata;
  if (!metadata || typeof metadata !== 'object') return undefined;
  const dependencies = metadata.dependencies;
  if (!dependencies || typeof dependencies !== 'object') return [];
  const toDeps = (entries: unknown) =>
    list(entries).flatMap(d =>
      typeof d.id === 'string' ? [{ id: d.id, ...(typeof d.version === 'string' ? { range: d.version } : {}) }] : [],
    );
  const groups = list(dependencies.group).map(g => ({
    ...(typeof g.targetFramework === 'string' && g.targetFramework ? { targetFramework: g.targetFramework } : {}),
    dependencies: toDeps(g.dependency),
  }));
  const flat = toDeps(dependencies.dependency);
  return flat.length ? [...groups, { dependencies: flat }] : groups;
}
