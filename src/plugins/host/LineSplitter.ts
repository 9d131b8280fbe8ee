/** What the splitter hands on: a complete line, or the news that one was too long. */
export type SplitLine =
  | { kind: 'line'; text: string }
  | { kind: 'overflow'; prefix: string; bytes: number };

/** How much of an overlong line is kept, enough to read its `id`. */
const PREFIX_BYTES = 256;

/**
 * Splits a byte stream into newline-terminated lines of at most `maxBytes`
 * each, without ever buffering more than that: an overlong line is
 * reported once, with its first bytes, and the rest of it is skipped up to
 * the next newline, so the stream stays in step.
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes of the overlong line being skipped, or -1 when not skipping. */
  private skipping = -1;
  private skippedPrefix = '';

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (line: SplitLine) => void,
  ) {}

  push(data: Buffer): void {
    let start = 0;
    while (start < data.length) {
      const newline = data.indexOf(0x0a, start);
      const end = newline === -1 ? data.length : newline;
      this.take(data.subarray(start, end));
      if (newline === -1) return;
      this.finishLine();
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without newline still counts. */
  end(): void {
    if (this.buffered > 0 || this.skipping >= 0) this.finishLine();
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping >= 0) {
      this.skipping += part.length;
      return;
    }
    if (this.buffered + part.length > this.maxBytes) {
      const head = Buffer.concat([...this.chunks, part.subarray(0, PREFIX_BYTES)]);
      this.skippedPrefix = head.subarray(0, PREFIX_BYTES).toString('utf8');
      this.skipping = this.buffered + part.length;
      this.chunks = [];
      this.buffered = 0;
      return;
    }
    this.chunks.push(part);
    this.buffered += part.length;
  }

  private finishLine(): void {
    if (this.skipping >= 0) {
      this.emit({ kind: 'overflow', prefix: this.skippedPrefix, bytes: this.skipping });
      this.skipping = -1;
      this.skippedPrefix = '';
      return;
    }
    const text = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    this.buffered = 0;
    if (text.trim()) this.emit({ kind: 'line', text });
  }
}
