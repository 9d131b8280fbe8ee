import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import express, { RequestHandler } from 'express';
import { formatPath, textProblem } from '../lib/validation';

const DEFAULT_MAX_BODY_BYTES = 100 * 1024;
const DEFAULT_MAX_BODY_DEPTH = 32;

/** Bounds of JSON request bodies, from `backpack.api`. */
export interface JsonBodySettings {
  maxBodyBytes: number;
  maxBodyDepth: number;
}

/** Reads `backpack.api`; see config.d.ts. */
export function readJsonBodySettings(config?: Config): JsonBodySettings {
  const api = config?.getOptionalConfig('backpack.api');
  const maxBodyBytes = api?.getOptionalNumber('maxBodyBytes') ?? DEFAULT_MAX_BODY_BYTES;
  const maxBodyDepth = api?.getOptionalNumber('maxBodyDepth') ?? DEFAULT_MAX_BODY_DEPTH;
  for (const [key, value] of Object.entries({ maxBodyBytes, maxBodyDepth })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`backpack.api.${key} must be a positive integer, got ${value}`);
    }
  }
  return { maxBodyBytes, maxBodyDepth };
}

// Control characters are the same problem at any length; the fields' own
// schemas bound their lengths.
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * Checks a parsed body before any schema sees it: nesting no deeper than
 * `maxDepth` (schemas and JSON handling recurse, and a few kilobytes of
 * brackets would otherwise exhaust the stack), and no control characters
 * in any string or key. Walks with an explicit stack, so the check itself
 * cannot overflow.
 */
export function checkJsonBody(body: unknown, maxDepth: number): void {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: body, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value, UNBOUNDED);
      if (problem) throw new InputError(`${formatPath(path) || 'body'}: ${problem}`);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (path.length >= maxDepth) {
      // Named by its top-level field: the full path is as long as the nesting.
      const field = typeof path[0] === 'string' ? path[0] : 'body';
      throw new InputError(`${field}: nested deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (textProblem(key, UNBOUNDED)) {
        throw new InputError(`${formatPath(path) || 'body'}: a key must not contain control characters`);
      }
      stack.push({ value: item, path: [...path, key] });
    }
  }
}

/**
 * Where and why JSON.parse failed, in its own words but never quoting the
 * body: V8 quotes the input in some messages (`Unexpected token 'x', "{…"
 * is not valid JSON`), so only its fixed "… in JSON at position N" form is
 * kept, and otherwise just the kind of failure.
 */
function parseProblem(error: { message?: unknown; body?: unknown }): string {
  const message = String(error.message);
  const positioned = /^([A-Za-z ,'[\]{}:-]{1,80}) in JSON at position (\d+)/.exec(message);
  if (positioned) return `${positioned[1]} at position ${positioned[2]}`;
  if (message.startsWith('Unexpected end')) {
    const length = typeof error.body === 'string' ? error.body.length : undefined;
    return length === undefined ? 'unexpected end' : `unexpected end at position ${length}`;
  }
  return 'unexpected token';
}

/** body-parser's failures, without the body it read. */
function bodyError(error: { type?: unknown; message?: unknown }, settings: JsonBodySettings): Error {
  switch (error.type) {
    case 'entity.parse.failed':
      return new InputError(`body: malformed JSON (${parseProblem(error)})`);
    case 'entity.too.large':
      return new InputError(
        `body: larger than ${settings.maxBodyBytes} bytes (backpack.api.maxBodyBytes)`,
      );
    default:
      return new InputError(`body: could not be read (${String(error.type ?? 'unknown error')})`);
  }
}

/**
 * `express.json` under the configured bounds, with its failures turned into
 * InputErrors that name the body without echoing it, followed by
 * {@link checkJsonBody}.
 */
export function jsonBody(settings: JsonBodySettings): RequestHandler {
  const parse = express.json({ limit: settings.maxBodyBytes });
  return (req, res, next) => {
    parse(req, res, error => {
      if (error) {
        next(bodyError(error, settings));
        return;
      }
      try {
        checkJsonBody(req.body, settings.maxBodyDepth);
      } catch (problem) {
        next(problem);
        return;
      }
      next();
    });
  };
}
