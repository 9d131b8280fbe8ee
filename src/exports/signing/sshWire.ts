/**
 * The SSH wire encoding (RFC 4251 section 5) of the few types an SSH
 * signature and an OpenSSH key file are made of.
 */

/** A `uint32`, big-endian. */
export function sshUint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/** A `string`: a uint32 length, then the bytes. */
export function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([sshUint32(bytes.length), bytes]);
}

/** Reads wire-encoded values one after the other; throws when the data ends early. */
export class SshReader {
  private at = 0;

  constructor(private readonly data: Buffer, private readonly what: string) {}

  uint32(): number {
    if (this.at + 4 > this.data.length) throw new Error(`${this.what} ends early`);
    const value = this.data.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  bytes(length: number): Buffer {
    if (this.at + length > this.data.length) throw new Error(`${this.what} ends early`);
    const value = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  get remaining(): number {
    return this.data.length - this.at;
  }
}
