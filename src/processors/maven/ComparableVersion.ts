/**
 * Maven's version ordering (`org.apache.maven.artifact.versioning.ComparableVersion`),
 * re-implemented: a version is a tree of numbers, qualifiers and sub-lists.
 *
 * - `.` and `-` separate items, and so does a switch between digits and
 *   letters (`1.0alpha1` is `1.0.alpha.1`); a `-` (or a switch) opens a
 *   sub-list, which ranks below a `.`-separated item (`1-1 < 1.1`).
 * - Known qualifiers rank `alpha` (`a1`) < `beta` (`b1`) < `milestone` (`m1`)
 *   < `rc` = `cr` < `snapshot` < release (`""`, `ga`, `final`) < `sp`; other
 *   qualifiers rank after them, alphabetically, and below any number.
 * - Trailing zeros and release qualifiers vanish: `1 = 1.0 = 1.0.0 = 1-ga`.
 */
type Item =
  | { type: 'number'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', cr: 'rc' };
const RELEASE_RANK = String(QUALIFIERS.indexOf(''));

/** A string that orders qualifiers: known ones by rank, then the rest alphabetically. */
function qualifierRank(qualifier: string): string {
  const index = QUALIFIERS.indexOf(qualifier);
  return index === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(index);
}

const sign = (a: string | bigint, b: string | bigint) => {
  if (a === b) return 0;
  return a < b ? -1 : 1;
};

function stringItem(text: string, followedByDigit: boolean): Item {
  let value = text;
  if (followedByDigit && value.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    value = { a: 'alpha', b: 'beta', m: 'milestone' }[value] ?? value;
  }
  return { type: 'string', value: ALIASES[value] ?? value };
}

function parseItem(isDigit: boolean, text: string): Item {
  return isDigit ? { type: 'number', value: BigInt(text) } : stringItem(text, false);
}

function isNull(item: Item): boolean {
  if (item.type === 'number') return item.value === 0n;
  if (item.type === 'string') return item.value === '';
  return item.items.length === 0;
}

/** Drops trailing null items (0, "", empty lists) before the last non-list item. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i];
    if (isNull(item)) list.splice(i, 1);
    else if (item.type !== 'list') break;
  }
}

/** Compares an item with another or with nothing (the shorter side of a list). */
function compareItems(left: Item, right: Item | undefined): number {
  if (left.type === 'number') {
    if (!right) return left.value === 0n ? 0 : 1; // 1.0 == 1, 1.1 > 1
    if (right.type === 'number') return sign(left.value, right.value);
    return 1; // 1.1 > 1-sp, 1.1 > 1-1
  }
  if (left.type === 'string') {
    if (!right) return sign(qualifierRank(left.value), RELEASE_RANK); // 1-rc < 1, 1-sp > 1
    if (right.type === 'string') {
      return sign(qualifierRank(left.value), qualifierRank(right.value));
    }
    return -1; // 1.any < 1.1, 1.any < 1-1
  }
  if (!right) return left.items.length === 0 ? 0 : compareItems(left.items[0], undefined);
  if (right.type === 'number') return -1; // 1-1 < 1.0.x
  if (right.type === 'string') return 1; // 1-1 > 1-sp
  const length = Math.max(left.items.length, right.items.length);
  for (let i = 0; i < length; i++) {
    const l = left.items[i];
    const r = right.items[i];
    const result = l ? compareItems(l, r) : -compareItems(r, undefined);
    if (result !== 0) return result;
  }
  return 0;
}

/** Parses a version string into its item tree. */
function parseVersion(version: string): Item {
  const text = version.toLowerCase();
  const root: Item[] = [];
  const stack: Item[][] = [root];
  let list = root;
  let isDigit = false;
  let start = 0;

  const openList = () => {
    const next: Item[] = [];
    list.push({ type: 'list', items: next });
    list = next;
    stack.push(next);
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '.' || c === '-') {
      list.push(i === start ? { type: 'number', value: 0n } : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
      if (c === '-') openList();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(stringItem(text.slice(start, i), true));
        start = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, text.slice(start, i)));
        start = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (text.length > start) list.push(parseItem(isDigit, text.slice(start)));
  while (stack.length) normalize(stack.pop()!);
  return { type: 'list', items: root };
}

function canonical(item: Item): string {
  if (item.type !== 'list') return String(item.value);
  return item.items
    .map((child, index) => {
      if (index === 0) return canonical(child);
      return (child.type === 'list' ? '-' : '.') + canonical(child);
    })
    .join('');
}

/** Parsed versions, reused because sorting compares each version many times. */
const parsed = new Map<string, Item>();
const PARSED_CACHE_SIZE = 10_000;

function itemsOf(version: string): Item {
  let items = parsed.get(version);
  if (!items) {
    items = parseVersion(version);
    if (parsed.size >= PARSED_CACHE_SIZE) parsed.clear();
    parsed.set(version, items);
  }
  return items;
}

/** Orders two Maven versions: negative, zero or positive. */
export function compareMavenVersions(a: string, b: string): number {
  return compareItems(itemsOf(a), itemsOf(b));
}

/** The canonical form Maven prints for a version, e.g. `1.0-alpha-1` → `1-alpha-1`. */
export function canonicalMavenVersion(version: string): string {
  return canonical(itemsOf(version));
}
