/**
 * Go's `h1:` hash (golang.org/x/mod/sumdb/dirhash Hash1): the base64
 * SHA-256 of the lines `<hex sha256>  <name>\n` of every file, sorted by
 * name. go.sum and the checksum database hold it for a module's zip (the
 * names are `<module>@<version>/<path>`) and for its go.mod alone (one
 * file named `go.mod`).
 */
import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { compareStrings } from './goSemver';

/** The `h1:` hash of files given by name and SHA-256 (hex). */
export function hash1(files: Array<{ name: string; sha256: string }>): string {
  const sorted = [...files].sort((a, b) => compareStrings(a.name, b.name));
  const summary = createHash('sha256');
  for (const file of sorted) {
    if (file.name.includes('\n')) throw new InputError(`file name ${JSON.stringify(file.name)} contains a newline`);
    summary.update(`${file.sha256}  ${file.name}\n`);
  }
  return `h1:${summary.digest('base64')}`;
}

/** The `h1:` hash go.sum records for a go.mod (`<module> <version>/go.mod h1:…`). */
export function goModHash(mod: Buffer): string {
  return hash1([{ name: 'go.mod', sha256: createHash('sha256').update(mod).digest('hex') }]);
}
