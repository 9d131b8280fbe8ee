import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';
import { errorMessage } from '../../lib/errorMessage';

/** A `<dependency>` as written, before interpolation and management. */
export interface PomDependency {
  groupId: string;
  artifactId: string;
  version?: string;
  type?: string;
  classifier?: string;
  scope?: string;
  optional?: string;
}

/** `groupId`, `artifactId` and `version` of a POM. */
export interface PomCoordinates {
  groupId: string;
  artifactId: string;
  version: string;
}

/** The parts of a POM that decide its files and dependencies, uninterpolated. */
export interface RawPom {
  groupId?: string;
  artifactId: string;
  version?: string;
  packaging?: string;
  parent?: PomCoordinates;
  properties: Record<string, string>;
  dependencies: PomDependency[];
  dependencyManagement: PomDependency[];
  /** `distributionManagement.relocation`: this artifact moved; parts left out stay the same. */
  relocation?: { groupId?: string; artifactId?: string; version?: string };
}

type XmlNode = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const node = (value: unknown): XmlNode =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : {};

/** Limits of XML parsing (`backpack.limits.xml`). */
export type XmlLimits = ParsingLimits['xml'];

const parsers = new Map<string, XMLParser>();

/** A parser bounded by `limits`: nesting depth and entity expansion. */
function parserFor(limits: XmlLimits): XMLParser {
  const key = `${limits.maxDepth}:${limits.maxEntityExpansions}`;
  let parser = parsers.get(key);
  if (!parser) {
    parser = new XMLParser({
      ignoreAttributes: true,
      // Versions such as 1.10 must stay strings.
      parseTagValue: false,
      trimValues: true,
      removeNSPrefix: true,
      maxNestedTags: limits.maxDepth,
      processEntities: {
        enabled: true,
        maxTotalExpansions: limits.maxEntityExpansions,
        maxEntityCount: 100,
        maxEntitySize: 10_000,
        maxExpandedLength: 1_000_000,
      },
      isArray: (_name, jpath) =>
        [
          'project.dependencies.dependency',
          'project.dependencyManagement.dependencies.dependency',
          'metadata.versioning.versions.version',
        ].includes(String(jpath)),
    });
    parsers.set(key, parser);
  }
  return parser;
}

/**
 * Parses upstream XML under limits. Errors never quote the document: the
 * parser's own messages do, and nothing an upstream sent is echoed.
 */
function parseXml(xml: string, limits: XmlLimits): XmlNode {
  try {
    return node(parserFor(limits).parse(xml));
  } catch (error) {
    const message = errorMessage(error);
    if (/nested tags/i.test(message)) {
      throw new Error(
        `XML nested deeper than backpack.limits.xml.maxDepth (${limits.maxDepth})`,
      );
    }
    if (/entit|expan/i.test(message)) {
      throw new Error(
        'XML entities exceed the limits of backpack.limits.xml.maxEntityExpansions',
      );
    }
    throw new Error('malformed XML');
  }
}

function readDependencies(list: unknown): PomDependency[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap(entry => {
    const dependency = node(entry);
    const groupId = text(dependency.groupId);
    const artifactId = text(dependency.artifactId);
    if (!groupId || !artifactId) return [];
    const result: PomDependency = { groupId, artifactId };
    for (const key of ['version', 'type', 'classifier', 'scope', 'optional'] as const) {
      const value = text(dependency[key]);
      if (value) result[key] = value;
    }
    return [result];
  });
}

/** Parses a POM; throws when the XML is malformed or has no `<project>`. */
export function parsePom(xml: string, limits: XmlLimits = DEFAULT_PARSING_LIMITS.xml): RawPom {
  const project = node(parseXml(xml, limits).project);
  const artifactId = text(project.artifactId);
  if (!artifactId) throw new Error('not a POM: no project/artifactId');

  const parentNode = node(project.parent);
  const parentGroup = text(parentNode.groupId);
  const parentArtifact = text(parentNode.artifactId);
  const parentVersion = text(parentNode.version);

  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(node(project.properties))) {
    if (typeof value === 'string') properties[key] = value;
  }

  const relocationNode = project.distributionManagement
    ? node(node(project.distributionManagement).relocation)
    : undefined;

  return {
    groupId: text(project.groupId),
    artifactId,
    version: text(project.version),
    packaging: text(project.packaging),
    parent:
      parentGroup && parentArtifact && parentVersion
        ? { groupId: parentGroup, artifactId: parentArtifact, version: parentVersion }
        : undefined,
    properties,
    dependencies: readDependencies(node(project.dependencies).dependency),
    dependencyManagement: readDependencies(
      node(node(project.dependencyManagement).dependencies).dependency,
    ),
    relocation:
      relocationNode && Object.keys(relocationNode).length
        ? {
            groupId: text(relocationNode.groupId),
            artifactId: text(relocationNode.artifactId),
            version: text(relocationNode.version),
          }
        : undefined,
  };
}

/** What `maven-metadata.xml` says about an artifact. */
export interface MavenMetadata {
  versions: string[];
  latest?: string;
  release?: string;
}

/** Parses an artifact-level `maven-metadata.xml`. */
export function parseMavenMetadata(
  xml: string,
  limits: XmlLimits = DEFAULT_PARSING_LIMITS.xml,
): MavenMetadata {
  const versioning = node(node(parseXml(xml, limits).metadata).versioning);
  const versions = node(versioning.versions).version;
  return {
    versions: Array.isArray(versions) ? versions.map(text).filter((v): v is string => !!v) : [],
    latest: text(versioning.latest),
    release: text(versioning.release),
  };
}
