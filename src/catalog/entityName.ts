import { createHash } from 'node:crypto';

// Catalog names are at most 63 characters of [A-Za-z0-9-_.], starting and
// ending with a letter or digit, and compared case-insensitively; artifact
// ids are neither (`@scope/pkg`, `org.slf4j:slf4j-api`, `golang.org/x/text`,
// and up to hundreds of characters).

/** The longest name the catalog accepts. */
export const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 10;

/** What may stand as is: one lower-case word of a processor, and an id of lower-case name characters. */
const PLAIN_PROCESSOR = /^[a-z0-9]+$/;
const PLAIN_ID = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/**
 * The catalog name of a root artifact: `<processor>-<id>` where that is
 * already a valid, unambiguous name; otherwise the same with every run of
 * other characters made one `-`, lower-cased, cut to fit, and a suffix of
 * the hash of processor and id. Stable (a function of processor and id
 * only) and unique: names without a suffix are unambiguous, since the
 * processor part has no separator, and those with one differ by the hash.
 */
export function artifactEntityName(processor: string, id: string): string {
  const plain = `${processor}-${id}`;
  if (PLAIN_PROCESSOR.test(processor) && PLAIN_ID.test(id) && plain.length <= MAX_NAME_LENGTH) {
    return plain;
  }
  const hash = createHash('sha256').update(processor).update('\0').update(id).digest('hex');
  const room = MAX_NAME_LENGTH - HASH_LENGTH - 1;
  const readable = plain
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return `${readable || 'artifact'}-${hash.slice(0, HASH_LENGTH)}`;
}
