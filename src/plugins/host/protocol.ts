/**
 * The wire format shared by every Backpack stdio plugin: one JSON object per
 * line on stdin (host to plugin) and stdout (plugin to host).
 *
 * - request: `{"id": 7, "method": "discover", "params": {…}}`, the host's ids
 *   are positive integers; a plugin may send its own requests to the host
 *   (ids of its choosing, numbers or strings) for the methods the host offers.
 * - response: `{"id": 7, "result": …}` or
 *   `{"id": 7, "error": {"message": "…", "code": "not-found"}}`.
 * - notification (no answer): `{"method": "cancel", "params": {"id": 7}}`.
 */

/** A host-to-plugin or plugin-to-host request. */
export interface RequestMessage {
  id: number | string;
  method: string;
  params?: unknown;
}

/** A notification: a request that wants no answer. */
export interface NotificationMessage {
  method: string;
  params?: unknown;
}

/** The answer to a request. */
export type ResponseMessage =
  | { id: number | string; result: unknown }
  | { id: number | string; error: { message: string; code?: string } };

export type IncomingMessage =
  | { kind: 'request'; message: RequestMessage }
  | { kind: 'notification'; message: NotificationMessage }
  | { kind: 'response'; message: ResponseMessage };

/** Longest error message or code kept from a plugin. */
const MAX_ERROR_TEXT = 2000;

function isId(value: unknown): value is number | string {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value)) ||
    (typeof value === 'string' && value.length > 0 && value.length <= 100)
  );
}

/**
 * Reads one line the plugin wrote; throws an Error saying what is wrong
 * with it when it is no protocol message.
 */
export function parseIncoming(line: string): IncomingMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('a line on stdout is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('a line on stdout is not a JSON object');
  }
  const message = value as Record<string, unknown>;
  if ('method' in message) {
    if (typeof message.method !== 'string' || !message.method || message.method.length > 100) {
      throw new Error('a message has an invalid method');
    }
    if (message.id === undefined) {
      return { kind: 'notification', message: { method: message.method, params: message.params } };
    }
    if (!isId(message.id)) throw new Error('a request has an invalid id');
    return {
      kind: 'request',
      message: { id: message.id, method: message.method, params: message.params },
    };
  }
  if (!isId(message.id)) throw new Error('a response has no valid id');
  const hasResult = 'result' in message;
  const hasError = 'error' in message;
  if (hasResult === hasError) {
    throw new Error(`response ${message.id} needs exactly one of result and error`);
  }
  if (hasResult) return { kind: 'response', message: { id: message.id, result: message.result } };
  const error = message.error as Record<string, unknown> | null;
  const text = typeof error?.message === 'string' ? error.message : 'the plugin gave no message';
  const code = typeof error?.code === 'string' ? error.code.slice(0, 100) : undefined;
  return {
    kind: 'response',
    message: { id: message.id, error: { message: text.slice(0, MAX_ERROR_TEXT), code } },
  };
}

/** The `id` an overlong line starts with, when it can be read from its first bytes. */
export function leadingId(prefix: string): number | undefined {
  const match = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*,/.exec(prefix);
  return match ? Number(match[1]) : undefined;
}
