/**
 * Go's `h1:` hash (golang.org/x/mod/sumdb/dirhash Hash1): the base64
 * SHA-256 of the lines `<hex sha256>  <name>\n` of every file, sorted by
 * name as Go sorts strings (by their UTF-8 bytes). go.sum records it for
 * module zips and go.mod files, Terraform lock files and network mirrors
 * for provider packages.
 */
import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';

/** The `h1:` hash of files given by name and SHA-256 (hex); a name may occur more than once. */
export function hash1(files: Array<{ name: string; sha256: string }>): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = createHash('sha256');
  for (const file of sorted) {
    if (file.name.includes('\n')) throw new InputError(`file name ${JSON.stringify(file.name)} contains a newline`);
    summary.update(`${file.sha256}  ${file.name}\n`);
  }
  return `h1:${summary.digest('base64')}`;
}
