import { InputError } from '@backstage/errors';
import { checkJsonBody, readJsonBodySettings } from './jsonBody';
import { ConfigReader } from '@backstage/config';

function problemOf(body: unknown, depth = 32): string | undefined {
  try {
    checkJsonBody(body, depth);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
}

describe('checkJsonBody', () => {
  it('accepts ordinary bodies', () => {
    expect(problemOf({ processor: 'npm', id: 'x', config: { a: [1, { b: 'c' }] } })).toBeUndefined();
    expect(problemOf({})).toBeUndefined();
  });

  it('names the top-level field of nesting deeper than the bound', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(problemOf({ config: deep })).toBe('config: nested deeper than 32 levels');
    let array: unknown = [];
    for (let i = 0; i < 40; i++) array = [array];
    expect(problemOf(array)).toBe('body: nested deeper than 32 levels');
    // 32 levels are fine.
    let bounded: unknown = 1;
    for (let i = 0; i < 31; i++) bounded = { a: bounded };
    expect(problemOf({ config: bounded })).toBeUndefined();
  });

  it('names the string or key with a control character', () => {
    expect(problemOf({ config: { list: ['ok', 'n\u0000'] } })).toBe(
      'config.list[1]: must not contain control characters',
    );
    expect(problemOf({ config: { ['k\u0001']: 1 } })).toBe(
      'config: a key must not contain control characters',
    );
    expect(problemOf('\u0000')).toBe('body: must not contain control characters');
  });
});

describe('readJsonBodySettings', () => {
  it('reads backpack.api with defaults, and refuses nonsense', () => {
    expect(readJsonBodySettings(new ConfigReader({}))).toEqual({ maxBodyBytes: 102400, maxBodyDepth: 32 });
    expect(
      readJsonBodySettings(new ConfigReader({ backpack: { api: { maxBodyBytes: 10, maxBodyDepth: 4 } } })),
    ).toEqual({ maxBodyBytes: 10, maxBodyDepth: 4 });
    expect(() =>
      readJsonBodySettings(new ConfigReader({ backpack: { api: { maxBodyDepth: 0 } } })),
    ).toThrow(/maxBodyDepth must be a positive integer/);
  });
});
