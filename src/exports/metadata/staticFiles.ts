import { CollectedFile } from '../../database/ExportStore';

/** First segment of release files and plain files, in the view's URLs and in bundles. */
export const FILES_ROOT = 'files';

/** Characters a segment keeps as they are; anything else is percent-encoded. */
const SAFE_BYTE = /[A-Za-z0-9._+~-]/;

/**
 * One path segment standing for `value` and nothing else: characters that
 * are safe in a URL and on every file system (letters, digits, `.`, `_`,
 * `+`, `~`, `-`) stay, every other UTF-8 byte becomes `%XX`, as do `%`
 * itself and a leading `.` (never `.`, `..` or a hidden name). A value
 * with nothing to encode is its own segment, so most paths read as the
 * view's URLs; percent-encoding is injective, so no two values share one.
 * Letter case is kept: the processors leave out a second name of one
 * version that differs only in case, so no two files meet on a
 * case-insensitive file system.
 */
export function encodeFilesSegment(value: string): string {
  let out = '';
  for (const char of value) {
    const keep = SAFE_BYTE.test(char) && !(out === '' && char === '.');
    out += keep
      ? char
      : [...Buffer.from(char, 'utf8')].map(b => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

/**
 * `files/<processor>/<id>/<version>/<name>`: the id's segments (`owner/repo`
 * of a GitHub repository) and the version and name each encoded by
 * {@link encodeFilesSegment}. Every artifact id of a processor has the same
 * number of segments, so no file's path is another's directory.
 */
export function filesBundlePath(processor: string, file: Pick<CollectedFile, 'artifactId' | 'version' | 'name'>) {
  return [FILES_ROOT, processor, ...file.artifactId.split('/'), file.version, file.name]
    .map((segment, index) => (index < 2 ? segment : encodeFilesSegment(segment)))
    .join('/');
}
