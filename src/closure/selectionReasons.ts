/**
 * Why a version is selected, kept once per reason and listed in a stable
 * order (filter / all-versions first, then required-by by parent), so
 * that a closure reads the same however its walk was scheduled.
 */
import { SelectionReason } from '../types';

/** Code-unit order, independent of locale. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Identifies a reason, so the same reason from two paths counts once. */
export function reasonKey(reason: SelectionReason): string {
  switch (reason.type) {
    case 'required-by':
      return [reason.type, reason.processor, reason.id, reason.version, reason.range].join('\0');
    case 'filter':
      return `${reason.type}\0${reason.filter}`;
    case 'denied':
      return `${reason.type}\0${reason.reason}`;
    default:
      return reason.type;
  }
}

const orderRank = (r: SelectionReason) => (r.type === 'required-by' ? 1 : 0);
const orderKey = (r: SelectionReason) =>
  r.type === 'required-by' ? [r.processor, r.id, r.version, r.range].join('\0') : r.type;

/** The order reasons are listed in. */
export function reasonOrder(a: SelectionReason, b: SelectionReason): number {
  if (orderRank(a) !== orderRank(b)) return orderRank(a) - orderRank(b);
  return compareStrings(orderKey(a), orderKey(b));
}

/**
 * Reasons in {@link reasonOrder}, each one's key built once rather than at
 * every comparison: a closure sorts the reasons of every selected version,
 * and a popular one has many parents.
 */
export function sortedReasons(reasons: Iterable<SelectionReason>): SelectionReason[] {
  const list = [...reasons];
  if (list.length < 2) return list;
  return list
    .map(reason => ({ reason, rank: orderRank(reason), key: orderKey(reason) }))
    .sort((a, b) => a.rank - b.rank || compareStrings(a.key, b.key))
    .map(keyed => keyed.reason);
}
