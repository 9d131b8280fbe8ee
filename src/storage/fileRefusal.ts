/**
 * Which files Backpack refuses to store, whatever their upstream says.
 *
 * A file's name and its version become path segments of the registry
 * views' URLs and of export bundles (`npm/-/<name>/<version>/<file>`,
 * `pypi/packages/<project>/<version>/<file>`, Maven's repository layout),
 * and the processor's path is the ecosystem's layout hint. A name with a
 * `/` could make one file's place the directory of another's; `..` could
 * leave the bundle's directory on the receiving side. Such files are
 * parked with the reason instead of being downloaded.
 */

/** Longest name one path segment may have on common file systems. */
const MAX_SEGMENT_BYTES = 255;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `value` cannot be one path segment, or undefined when it can. */
export function pathSegmentProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value === '.' || value === '..') return `is '${value}'`;
  if (value.includes('/')) return "contains '/'";
  if (value.includes('\\')) return "contains '\\'";
  if (CONTROL.test(value)) return 'contains a control character';
  if (LONE_SURROGATE.test(value)) return 'is not well-formed Unicode';
  if (Buffer.byteLength(value) > MAX_SEGMENT_BYTES) {
    return `is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

/**
 * Why `path` cannot be a relative layout path (segments separated by `/`,
 * each a valid segment), or undefined when it can.
 */
export function layoutPathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'is absolute';
  for (const segment of path.split('/')) {
    const problem = pathSegmentProblem(segment);
    if (problem) return `has a segment that ${problem}`;
  }
  return undefined;
}

/** What {@link fileRefusal} looks at. */
export interface RefusalCandidate {
  name: string;
  version: string;
  /** The processor's layout hint (`ProcessorFile.path`, stored as `folder`). */
  path?: string;
}

const quote = (value: string) => JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);

/**
 * The reason a file is refused, or undefined when it may be stored. The
 * same rule applies when a discovery records the file and again before the
 * collector would download it.
 */
export function fileRefusal(file: RefusalCandidate): string | undefined {
  const name = pathSegmentProblem(file.name);
  if (name) {
    return `Refused: file name ${quote(file.name)} ${name}; a file name must be one path segment`;
  }
  const version = pathSegmentProblem(file.version);
  if (version) {
    return `Refused: version ${quote(file.version)} ${version}; a version must be one path segment`;
  }
  if (file.path !== undefined) {
    const path = layoutPathProblem(file.path);
    if (path) return `Refused: path ${quote(file.path)} ${path}`;
  }
  return undefined;
}
