/**
 * One byte range of a stored file (`bytes=a-b`, `bytes=a-`, `bytes=-n`); `all` for
 * no (or a multi-range) header, which gets the whole blob, and
 * `unsatisfiable` for a range outside it.
 */
export function rangeOf(header: string | undefined, size: number) {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return 'all' as const;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable' as const;
  return { start, end };
}
