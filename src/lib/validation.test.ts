import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { artifactConfigSchema, parseArtifactConfig, parseInput, text, textProblem } from './validation';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('parseInput', () => {
  const body = z.strictObject({
    id: z.string(),
    config: z.strictObject({ registry: z.url().optional() }).optional(),
    targets: z.array(z.string()).optional(),
  });

  it('returns the parsed value', () => {
    expect(parseInput(body, { id: 'a' }, { label: 'body' })).toEqual({ id: 'a' });
  });

  it('calls a missing field Required', () => {
    expect(messageOf(() => parseInput(body, {}, { label: 'body' }))).toBe(
      'id: Required',
    );
  });

  it('names nested fields, array items and unknown keys', () => {
    const message = messageOf(() =>
      parseInput(
        body,
        { id: 'a', config: { registry: 'nope', extra: 1 }, targets: [1], more: 2 },
        { label: 'body' },
      ),
    );
    expect(message.split('; ').sort()).toEqual(
      [
        'config.registry: Invalid URL',
        'config.extra: Unknown key',
        'targets[0]: Invalid input: expected string, received number',
        'more: Unknown key',
      ].sort(),
    );
  });

  it('prefixes a nested value with its place in the request', () => {
    const schema = z.strictObject({ registry: z.url() });
    expect(
      messageOf(() =>
        parseInput(schema, { registry: 'x' }, { path: ['config'], label: 'config' }),
      ),
    ).toBe('config.registry: Invalid URL');
  });

  it('does not repeat a field the schema already names in its message', () => {
    const schema = z.strictObject({
      registry: z.url({ error: 'registry: must be an http(s) URL' }),
    });
    expect(
      messageOf(() =>
        parseInput(schema, { registry: 'x' }, { path: ['config'], label: 'config' }),
      ),
    ).toBe('config.registry: must be an http(s) URL');
  });

  it('keeps a custom message for unknown keys, on the object', () => {
    const schema = z.strictObject(
      { a: z.string().optional() },
      { error: () => 'unknown key(s), allowed: a' },
    );
    expect(
      messageOf(() => parseInput(schema, { b: 1 }, { path: ['config'], label: 'config' })),
    ).toBe('config: unknown key(s), allowed: a');
  });

  it('uses the label for a value that is not even an object', () => {
    expect(messageOf(() => parseInput(body, 'text', { label: 'body' }))).toBe(
      'body: Invalid input: expected object, received string',
    );
  });
});

describe('text', () => {
  it('refuses control characters and more characters than the column holds', () => {
    const schema = z.object({ id: text(5) });
    expect(parseInput(schema, { id: 'abcde' }, { label: 'body' })).toEqual({ id: 'abcde' });
    expect(messageOf(() => parseInput(schema, { id: 'abcdef' }, { label: 'body' }))).toBe(
      'id: must be at most 5 characters',
    );
    for (const bad of ['a\u0000', 'a\tb', 'a\nb', 'a\u007f', 'a\u0085']) {
      expect(messageOf(() => parseInput(schema, { id: bad }, { label: 'body' }))).toBe(
        'id: must not contain control characters',
      );
    }
    // Other characters are the fields' own business.
    expect(textProblem('é ✓ \u202e', 10)).toBeUndefined();
  });
});

describe('parseArtifactConfig', () => {
  const schema = artifactConfigSchema('test', {
    flag: z.boolean().default(true),
    name: z.string().optional(),
  });

  it('answers an empty config as zod does, with a copy of its own each time', () => {
    const first = parseArtifactConfig(schema, {});
    const second = parseArtifactConfig(schema, {});
    expect(first).toEqual({ flag: true });
    expect(second).toEqual(schema.parse({}));
    expect(second).not.toBe(first);
    first.flag = false;
    expect(parseArtifactConfig(schema, {})).toEqual({ flag: true });
  });

  it('still checks configs with keys', () => {
    expect(parseArtifactConfig(schema, { flag: false, name: 'x' })).toEqual({ flag: false, name: 'x' });
    expect(() => parseArtifactConfig(schema, { other: 1 })).toThrow(InputError);
    expect(() => parseArtifactConfig(schema, { flag: 'yes' })).toThrow(/config\.flag/);
  });

  it('does not reuse what an empty config parses to when it holds objects', () => {
    const nested = artifactConfigSchema('test', { options: z.object({ a: z.number() }).default({ a: 1 }) });
    const first = parseArtifactConfig(nested, {});
    first.options.a = 2;
    expect(parseArtifactConfig(nested, {})).toEqual({ options: { a: 1 } });
  });
});
