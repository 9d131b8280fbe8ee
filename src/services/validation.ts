import { InputError } from '@backstage/errors';
import { z } from 'zod';

type Issue = z.core.$ZodIssue;

// zod reports a missing field as "expected string, received undefined"; an
// API caller reads "Required" faster.
const requiredErrorMap: z.core.$ZodErrorMap = issue =>
  issue.code === 'invalid_type' && issue.input === undefined
    ? 'Required'
    : undefined;

function formatPath(path: PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return index === 0 ? String(segment) : `.${String(segment)}`;
    })
    .join('');
}

function describeIssue(issue: Issue, base: PropertyKey[], label: string): string[] {
  const path = [...base, ...issue.path];
  const where = path.length ? formatPath(path) : label;
  if (issue.code === 'unrecognized_keys' && issue.message.startsWith('Unrecognized key')) {
    // zod's own message: name each unknown key as a field of its own.
    return issue.keys.map(key => `${formatPath([...path, key])}: Unknown key`);
  }
  // Schemas that name the field in their own message ("registry: ...")
  // would otherwise repeat it.
  const last = issue.path[issue.path.length - 1];
  const prefix = last === undefined ? undefined : `${String(last)}: `;
  const message =
    prefix && issue.message.startsWith(prefix)
      ? issue.message.slice(prefix.length)
      : issue.message;
  return [`${where}: ${message}`];
}

/**
 * Parses `value` with `schema`; on failure throws an InputError whose
 * message names each offending field, e.g. `config.registry: Invalid URL`.
 *
 * @param options.path - where `value` sits in the request, e.g. `['config']`
 * @param options.label - what to call `value` itself when an issue has no path
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  options: { path?: PropertyKey[]; label: string },
): z.output<T> {
  const result = schema.safeParse(value, { error: requiredErrorMap });
  if (result.success) return result.data;
  const messages = result.error.issues.flatMap(issue =>
    describeIssue(issue, options.path ?? [], options.label),
  );
  throw new InputError(messages.join('; '));
}
