import { InputError } from '@backstage/errors';
import { Readable } from 'node:stream';

/**
 * Checks that a blob key is a relative, normalized path: segments separated
 * by `/`, none of them empty, `.` or `..`, no backslashes or control
 * characters. Both stores apply the same rule, so a key that works with one
 * works with the other and can never escape the store's root or prefix.
 */
export function validateBlobKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InputError('Blob key must be a non-empty string');
  }
  if (Buffer.byteLength(key) > 1024) {
    throw new InputError(`Blob key is longer than 1024 bytes: ${key}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw new InputError(
      `Blob key must not contain backslashes or control characters: ${JSON.stringify(key)}`,
    );
  }
  if (key.startsWith('/')) {
    throw new InputError(`Blob key must be relative: ${key}`);
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InputError(
        `Blob key must not contain empty, '.' or '..' segments: ${key}`,
      );
    }
  }
}

/**
 * Lower-cases metadata names and checks that names and values are printable
 * ASCII. S3 sends metadata as HTTP headers, which lower-cases names and
 * cannot carry other characters faithfully; the directory store applies the
 * same rule so both behave alike.
 */
export function normalizeBlobMetadata(
  metadata: Record<string, string> = {},
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      throw new InputError(`Invalid blob metadata name: ${name}`);
    }
    if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) {
      throw new InputError(
        `Blob metadata '${name}' must be a printable ASCII string`,
      );
    }
    result[name.toLowerCase()] = value;
  }
  return result;
}

/**
 * Checks a put's key (with `validate`, {@link validateBlobKey} unless a
 * store adds rules) and returns its normalized metadata. A refused put
 * destroys its body, so the caller's stream (often an upstream download)
 * is never left open.
 */
export function admitBlobPut(
  key: string,
  body: Readable,
  metadata: Record<string, string> | undefined,
  validate: (key: string) => void = validateBlobKey,
): Record<string, string> {
  try {
    validate(key);
    return normalizeBlobMetadata(metadata);
  } catch (error) {
    body.destroy();
    throw error;
  }
}
