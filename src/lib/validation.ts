import { InputError } from '@backstage/errors';
import { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** C0 and C1 control characters and DEL: never part of a name, version, path or filter. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * What is wrong with a string that came from outside (a caller or an
 * upstream), or undefined: control characters (NUL among them, which
 * PostgreSQL cannot store), or more than `max` characters. The one rule
 * every accepted string passes; the zod form is {@link text}.
 */
export function textProblem(value: string, max: number): string | undefined {
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control characters';
  if (value.length > max) return `must be at most ${max} characters`;
  return undefined;
}

/**
 * A string of API input: at most `max` characters (the length of the column
 * it ends up in, see `COLUMN_LIMITS`) and no control characters.
 */
export function text(max: number) {
  return z
    .string()
    .refine(value => !CONTROL_CHARACTERS.test(value), 'must not contain control characters')
    .max(max, `must be at most ${max} characters`);
}

// zod reports a missing field as "expected string, received undefined"; an
// API caller reads "Required" faster.
const requiredErrorMap: z.core.$ZodErrorMap = issue =>
  issue.code === 'invalid_type' && issue.input === undefined
    ? 'Required'
    : undefined;

/** A field's path as messages name it: `config.registry`, `processors[0]`. */
export function formatPath(path: PropertyKey[]): string {
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

/** What an empty config parsed to under each schema: flat objects only, so that a shallow copy is a copy. */
const emptyConfigs = new WeakMap<z.ZodType, unknown>();

function isEmptyObject(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.keys(value).length === 0;
}

function isFlatObject(value: unknown): boolean {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every(v => v === null || typeof v !== 'object')
  );
}

/**
 * Parses an artifact's processor config with the processor's schema; the
 * same InputError (`config.<key>: ...`) whether the API or a discovery
 * reads it, since stored and inherited configs bypass the API.
 */
export function parseArtifactConfig<T extends z.ZodType>(schema: T, config: unknown): z.output<T> {
  // Most artifacts have no config of their own, and a run parses one per
  // discovery: the empty config is parsed once per schema, and each caller
  // gets its own copy of the answer.
  if (isEmptyObject(config)) {
    let parsed = emptyConfigs.get(schema) as z.output<T> | undefined;
    if (parsed === undefined) {
      parsed = parseInput(schema, config, { path: ['config'], label: 'config' }) as z.output<T>;
      if (!isFlatObject(parsed)) return parsed;
      emptyConfigs.set(schema, parsed);
    }
    return { ...(parsed as object) } as z.output<T>;
  }
  return parseInput(schema, config, { path: ['config'], label: 'config' });
}

/**
 * A processor's per-artifact config schema: a strict object whose unknown
 * keys are refused with a message naming them and the keys it knows.
 */
export function artifactConfigSchema<Shape extends z.core.$ZodLooseShape>(processor: string, shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: issue =>
      issue.code === 'unrecognized_keys'
        ? `unknown ${processor} config key(s): ${issue.keys.join(', ')} (allowed: ${known})`
        : undefined,
  });
}
