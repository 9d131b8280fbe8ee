/**
 * The `h1:` hashes the go command records: of a module's zip (the names
 * are `<module>@<version>/<path>`, see moduleZip.ts) and of its go.mod
 * alone (one file named `go.mod`), by {@link hash1}.
 */
import { createHash } from 'node:crypto';
import { hash1 } from '../../lib/dirhash';

export { hash1 };

/** The `h1:` hash go.sum records for a go.mod (`<module> <version>/go.mod h1:…`). */
export function goModHash(mod: Buffer): string {
  return hash1([{ name: 'go.mod', sha256: createHash('sha256').update(mod).digest('hex') }]);
}
