import { Transform, TransformCallback } from 'node:stream';
import { InputError } from '@backstage/errors';

/**
 * Passes bytes through and errors when their count differs from the size
 * the caller announced, so a blob store never keeps a short or long body.
 */
export class ExpectedSizeStream extends Transform {
  private bytes = 0;

  constructor(private readonly expected: number) {
    super();
  }

  _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: TransformCallback,
  ): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expected) {
      callback(
        new InputError(
          `Body is larger than the announced ${this.expected} bytes`,
        ),
      );
      return;
    }
    callback(null, chunk);
  }

  _flush(callback: TransformCallback): void {
    if (this.bytes !== this.expected) {
      callback(
        new InputError(
          `Body has ${this.bytes} bytes, not the announced ${this.expected}`,
        ),
      );
      return;
    }
    callback();
  }
}
