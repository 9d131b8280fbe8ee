/**
 * The license check: the version's declared license as an SPDX expression,
 * held against the allowed and denied ids. `MIT OR GPL-3.0-only` passes
 * when either side does, `MIT AND GPL-3.0-only` only when both do. A
 * missing or unparsable license (npm's `SEE LICENSE IN …`, free text) is
 * `unknown`, whose outcome is configured.
 */
import parseSpdx from 'spdx-expression-parse';
import { AdmissionAnswer } from '../types';
import { EffectiveAdmissionSettings } from '../admissionSettings';

type Node = ReturnType<typeof parseSpdx>;

/** Longest license string parsed; a longer one is no expression but a license text. */
const MAX_EXPRESSION = 1024;

function parse(license: string | undefined): Node | undefined {
  const text = license?.trim();
  if (!text || text.length > MAX_EXPRESSION) return undefined;
  try {
    return parseSpdx(text);
  } catch {
    return undefined;
  }
}

/** The license ids of a leaf as lists name them: `GPL-2.0-or-later` also for `GPL-2.0+`. */
function leafIds(node: { license: string; plus?: boolean }): string[] {
  const id = node.license.toLowerCase();
  return node.plus ? [id, `${id}+`, `${id}-or-later`] : [id];
}

/** The denied ids that make every way of satisfying the expression fail, or none. */
function evaluate(node: Node, allowed: Set<string> | undefined, denied: Set<string>): string[] {
  if ('license' in node) {
    const ids = leafIds(node);
    if (ids.some(id => denied.has(id))) return [`${node.license}${node.plus ? '+' : ''} is denied`];
    if (allowed && !ids.some(id => allowed.has(id))) return [`${node.license}${node.plus ? '+' : ''} is not allowed`];
    return [];
  }
  const left = evaluate(node.left, allowed, denied);
  const right = evaluate(node.right, allowed, denied);
  if (node.conjunction === 'or') return left.length && right.length ? [...left, ...right] : [];
  return [...left, ...right];
}

/** The license check's answer for one version. */
export function checkLicense(
  license: string | undefined,
  settings: EffectiveAdmissionSettings['licenses'],
): AdmissionAnswer {
  if (!settings) return { decision: 'allow' };
  const node = parse(license);
  if (!node) {
    const what = license?.trim() ? `license '${license.trim().slice(0, 100)}' is not an SPDX expression` : 'no license declared';
    return settings.unknown === 'allow'
      ? { decision: 'allow' }
      : { decision: settings.unknown, reason: what };
  }
  const lower = (ids?: string[]) => (ids ? new Set(ids.map(id => id.toLowerCase())) : undefined);
  const problems = evaluate(node, lower(settings.allow), lower(settings.deny) ?? new Set());
  return problems.length === 0
    ? { decision: 'allow' }
    : { decision: 'deny', reason: `license ${license!.trim()}: ${problems.join(', ')}` };
}
