/** Median, min and max of repeated measurements. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('No samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: samples.length, samples };
}

/** `1.23 (min 1.20, max 1.31, n=3)` with a unit and a number of digits. */
export function fmt(summary: Summary, unit = '', digits = 2): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `${f(summary.median)} (min ${f(summary.min)}, max ${f(summary.max)}, n=${summary.n})`;
}

/** A number with a fixed number of digits. */
export function num(value: number, digits = 2): string {
  return value.toFixed(digits);
}

export const MiB = 1024 * 1024;
export const MB = 1_000_000;

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/**
 * The ratio of two summaries' medians, and its spread from the extremes of
 * the samples (min/max and max/min).
 */
export function ratio(a: Summary, b: Summary, digits = 2): { value: number; text: string } {
  const value = a.median / b.median;
  const low = a.min / b.max;
  const high = a.max / b.min;
  return {
    value,
    text: `${value.toFixed(digits)} (range ${low.toFixed(digits)}–${high.toFixed(digits)})`,
  };
}
