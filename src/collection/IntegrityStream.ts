import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { CustomErrorBase } from '@backstage/errors';
import { FileIntegrity } from '../types';

/**
 * The bytes that went through an {@link IntegrityStream} did not match what
 * the upstream published. Raised from the stream's `flush`, so a blob store
 * reading the stream aborts its upload and nothing appears at the key.
 */
export class IntegrityError extends CustomErrorBase {
  name = 'IntegrityError' as const;
}

/** What an {@link IntegrityStream} checks. */
export interface IntegrityExpectation {
  /** Expected digest; when absent only sha256 and the size are computed. */
  integrity?: FileIntegrity;
  /** Expected size in bytes. */
  size?: number;
}

/** What an {@link IntegrityStream} computed once the stream ended well. */
export interface IntegrityResult {
  size: number;
  /** Lower-case hex sha256 of the bytes, always computed. */
  sha256: string;
  /** Lower-case hex digest in the expected algorithm, when one was given. */
  integrity?: FileIntegrity;
}

const ALGORITHMS: ReadonlySet<FileIntegrity['algorithm']> = new Set([
  'sha512',
  'sha384',
  'sha256',
  'sha1',
  'md5',
  'git-blob-sha1',
]);

/**
 * A hash of the expected algorithm, primed for git's blob object id: the
 * header `blob <size>\0` comes before the bytes, so the size must be known
 * up front (the stream checks the bytes add up to it).
 */
function createExpectedHash(integrity: FileIntegrity, size: number | undefined): Hash {
  if (integrity.algorithm !== 'git-blob-sha1') return createHash(integrity.algorithm);
  if (size === undefined) {
    throw new IntegrityError('A git-blob-sha1 digest can only be checked when the size is known');
  }
  return createHash('sha1').update(`blob ${size}\0`);
}

/**
 * A pass-through stream that hashes and counts the bytes flowing through it
 * and fails at the end of the stream when the size or the digest does not
 * match the expectation.
 *
 * sha256 is always computed, so every stored file gets a uniform digest even
 * when the upstream publishes only sha1 or md5.
 */
export class IntegrityStream extends Transform {
  private readonly expected: IntegrityExpectation;
  private readonly sha256 = createHash('sha256');
  private readonly hash?: Hash;
  private bytes = 0;
  private computed?: IntegrityResult;

  constructor(expected: IntegrityExpectation = {}) {
    super();
    const integrity = expected.integrity;
    if (integrity) {
      if (!ALGORITHMS.has(integrity.algorithm)) {
        throw new IntegrityError(
          `Unsupported integrity algorithm '${integrity.algorithm}'`,
        );
      }
      this.expected = {
        ...expected,
        integrity: { ...integrity, digest: integrity.digest.toLowerCase() },
      };
      if (integrity.algorithm !== 'sha256') {
        this.hash = createExpectedHash(integrity, expected.size);
      }
    } else {
      this.expected = expected;
    }
  }

  /** The computed size and digests; set only after the stream ended without error. */
  get result(): IntegrityResult | undefined {
    return this.computed;
  }

  _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: TransformCallback,
  ): void {
    this.bytes += chunk.length;
    // Fail early on oversize bodies instead of streaming them to the end.
    if (this.expected.size !== undefined && this.bytes > this.expected.size) {
      callback(
        new IntegrityError(
          `Size mismatch: expected ${this.expected.size} bytes, received more`,
        ),
      );
      return;
    }
    this.sha256.update(chunk);
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  _flush(callback: TransformCallback): void {
    const { size, integrity } = this.expected;
    if (size !== undefined && this.bytes !== size) {
      callback(
        new IntegrityError(
          `Size mismatch: expected ${size} bytes, received ${this.bytes}`,
        ),
      );
      return;
    }
    const sha256 = this.sha256.digest('hex');
    let actual: FileIntegrity | undefined;
    if (integrity) {
      const digest = this.hash ? this.hash.digest('hex') : sha256;
      actual = { algorithm: integrity.algorithm, digest };
      if (digest !== integrity.digest) {
        callback(
          new IntegrityError(
            `Digest mismatch: expected ${integrity.algorithm} ${integrity.digest}, computed ${digest}`,
          ),
        );
        return;
      }
    }
    this.computed = { size: this.bytes, sha256, integrity: actual };
    callback();
  }
}
