import fs from 'node:fs';

/** One line of a backend's memory log (bench/backend.ts), in bytes. */
export interface MemorySample {
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JS ones, ArrayBuffers included. */
  external: number;
  /** Backing stores of ArrayBuffers and Buffers: file bytes in flight and not yet collected. */
  arrayBuffers: number;
}

/** The samples of a memory log taken from `from` to `to` (epoch ms). */
export function readMemorySamples(file: string, from: number, to: number): MemorySample[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const [at, rss, heapTotal, heapUsed, external, arrayBuffers] = line.split(' ').map(Number);
      return { at, rss, heapTotal, heapUsed, external, arrayBuffers };
    })
    .filter(s => s.at >= from && s.at <= to);
}

/** The sample with the highest RSS, or undefined without samples. */
export function atPeak(samples: MemorySample[]): MemorySample | undefined {
  return samples.reduce<MemorySample | undefined>((best, s) => (!best || s.rss > best.rss ? s : best), undefined);
}
