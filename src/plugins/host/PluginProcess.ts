import { ChildProcess, spawn } from 'node:child_process';
import { LoggerService } from '@backstage/backend-plugin-api';
import { errorMessage } from '../../lib/errorMessage';
import {
  PluginMessageTooLargeError,
  PluginRequestError,
  PluginUnavailableError,
} from './errors';
import { LineSplitter, SplitLine } from './LineSplitter';
import { killGroup, spawnsGroups, trackGroup, untrackGroup } from './processGroups';
import { leadingId, parseIncoming, RequestMessage } from './protocol';

/**
 * Serves a request the plugin sends to the host (e.g. `fetch`, so that the
 * plugin reads upstreams through Backpack's host policy). Throwing answers
 * the plugin with an error; the backend is not affected.
 *
 * @public
 */
export type PluginMethodHandler = (
  params: unknown,
  context: { signal: AbortSignal },
) => Promise<unknown>;

/** How a plugin process ended. */
export interface PluginExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the host asked it to stop. */
  requested: boolean;
  /** Why the host killed it, when it broke the protocol or could not start. */
  failure?: string;
}

export interface PluginProcessOptions {
  label: string;
  command: string[];
  env: Record<string, string>;
  cwd?: string;
  logger: LoggerService;
  maxMessageBytes: number;
  methods: Record<string, PluginMethodHandler>;
  /** Plugin-to-host requests served at once; more are answered with an error. */
  maxHostCalls: number;
  onExit(exit: PluginExit): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Longest stderr line logged; the rest is cut. */
const MAX_STDERR_LINE = 8192;
/** stderr lines logged per window; the rest are counted. */
const STDERR_LINES_PER_WINDOW = 100;
const STDERR_WINDOW_MS = 10_000;
/** How long output written just before exiting may still arrive. */
const DRAIN_MS = 200;

/**
 * One running plugin subprocess: writes requests, matches answers by id,
 * serves the plugin's own requests, logs its stderr, and reports its end.
 * Anything malformed the plugin writes fails its requests and ends this
 * process, never the backend.
 */
export class PluginProcess {
  readonly pid: number | undefined;
  /** Resolves once the process has ended and its requests were failed. */
  readonly exited: Promise<PluginExit>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly hostCalls = new Set<AbortController>();
  private nextId = 1;
  private stopping = false;
  private failure?: string;
  private ended = false;
  private resolveExited!: (exit: PluginExit) => void;
  private stderrWindow = { start: 0, lines: 0, dropped: 0 };

  constructor(private readonly options: PluginProcessOptions) {
    this.exited = new Promise(resolve => {
      this.resolveExited = resolve;
    });
    const [file, ...args] = options.command;
    this.child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: spawnsGroups(),
      windowsHide: true,
    });
    this.pid = this.child.pid;
    if (this.pid !== undefined) trackGroup(this.pid);

    const stdout = new LineSplitter(options.maxMessageBytes, line => this.onLine(line));
    const stderr = new LineSplitter(MAX_STDERR_LINE, line => this.onStderr(line));
    let stdoutEnded = false;
    this.child.stdout!.on('data', (data: Buffer) => stdout.push(data));
    this.child.stdout!.on('end', () => {
      stdoutEnded = true;
      stdout.end();
    });
    this.child.stderr!.on('data', (data: Buffer) => stderr.push(data));
    this.child.stderr!.on('end', () => stderr.end());
    // A plugin that exits or closes stdin makes writes fail with EPIPE.
    this.child.stdin!.on('error', () => {});
    this.child.on('error', error => {
      if (this.pid === undefined) {
        this.finish({ code: null, signal: null, failure: `could not be started: ${error.message}` });
      } else {
        options.logger.warn(`Plugin ${options.label}: ${error.message}`);
      }
    });
    this.child.on('exit', (code, signal) => {
      // Answers written just before exiting are still in the pipe.
      const finish = () => this.finish({ code, signal });
      if (stdoutEnded) finish();
      else {
        const timer = setTimeout(finish, DRAIN_MS);
        this.child.stdout!.once('end', () => {
          clearTimeout(timer);
          finish();
        });
      }
    });
  }

  /** Whether the process is still running and not being stopped. */
  get usable(): boolean {
    return !this.ended && !this.stopping && this.failure === undefined;
  }

  /** Sends a request; the answer's `result`, or the plugin's error as a PluginRequestError. */
  send(method: string, params: unknown): { id: number; response: Promise<unknown> } {
    const id = this.nextId++;
    const response = new Promise<unknown>((resolve, reject) => {
      if (!this.usable) {
        reject(new PluginUnavailableError(`Plugin ${this.options.label} is not running`));
        return;
      }
      const line = JSON.stringify({ id, method, params });
      if (Buffer.byteLength(line) + 1 > this.options.maxMessageBytes) {
        reject(
          new PluginMessageTooLargeError(
            `Request ${method} to plugin ${this.options.label} is larger than ${this.options.maxMessageBytes} bytes`,
          ),
        );
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(`${line}\n`);
    });
    return { id, response };
  }

  /** Sends a notification (no answer expected); ignored once the process is ending. */
  notify(method: string, params: unknown): void {
    if (this.usable) this.child.stdin!.write(`${JSON.stringify({ method, params })}\n`);
  }

  /** Stops answering for `id` (timed out or aborted); a late answer is ignored. */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /**
   * Stops the process politely (stdin is closed, which a plugin takes as
   * the end), then kills its process group after `graceMs`.
   */
  async stop(graceMs: number): Promise<PluginExit> {
    if (!this.ended) {
      this.stopping = true;
      this.child.stdin!.end();
      const timer = setTimeout(() => this.kill(), graceMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  /** Kills the process group at once. */
  kill(): void {
    if (this.pid !== undefined) killGroup(this.pid, 'SIGKILL');
  }

  /** A protocol breach: the stream can no longer be trusted, so the process ends. */
  fail(reason: string): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = reason;
    this.options.logger.error(`Plugin ${this.options.label} is stopped: ${reason}`);
    this.rejectAll(
      new PluginUnavailableError(`Plugin ${this.options.label} broke the protocol: ${reason}`),
    );
    this.kill();
  }

  private onLine(line: SplitLine): void {
    if (this.failure !== undefined) return;
    if (line.kind === 'overflow') {
      const id = leadingId(line.prefix);
      const pending = id === undefined ? undefined : this.pending.get(id);
      if (!pending) {
        this.fail(`a ${line.bytes}-byte line exceeds the limit of ${this.options.maxMessageBytes} bytes`);
        return;
      }
      this.pending.delete(id!);
      pending.reject(
        new PluginMessageTooLargeError(
          `Plugin ${this.options.label} answered with ${line.bytes} bytes, more than the limit of ${this.options.maxMessageBytes}`,
        ),
      );
      return;
    }
    let incoming;
    try {
      incoming = parseIncoming(line.text);
    } catch (error) {
      this.fail(errorMessage(error));
      return;
    }
    if (incoming.kind === 'request') {
      void this.serve(incoming.message);
    } else if (incoming.kind === 'response') {
      const { message } = incoming;
      const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
      if (!pending) {
        // The answer to a request that timed out, or to none: nothing waits for it.
        this.options.logger.debug(`Plugin ${this.options.label}: answer to unknown id ${message.id}`);
        return;
      }
      this.pending.delete(message.id as number);
      if ('result' in message) pending.resolve(message.result);
      else pending.reject(new PluginRequestError(message.error.message, message.error.code));
    }
  }

  private async serve(request: RequestMessage): Promise<void> {
    const handler = Object.hasOwn(this.options.methods, request.method)
      ? this.options.methods[request.method]
      : undefined;
    const answer = (body: object) => {
      if (this.usable) this.child.stdin!.write(`${JSON.stringify({ id: request.id, ...body })}\n`);
    };
    if (!handler) {
      answer({ error: { message: `unknown method ${request.method}`, code: 'method-not-found' } });
      return;
    }
    if (this.hostCalls.size >= this.options.maxHostCalls) {
      answer({ error: { message: 'too many requests at once', code: 'busy' } });
      return;
    }
    const controller = new AbortController();
    this.hostCalls.add(controller);
    try {
      const result = await handler(request.params, { signal: controller.signal });
      const line = JSON.stringify({ id: request.id, result: result ?? null });
      if (Buffer.byteLength(line) + 1 > this.options.maxMessageBytes) {
        answer({ error: { message: 'the answer exceeds the message size limit', code: 'too-large' } });
      } else if (this.usable) {
        this.child.stdin!.write(`${line}\n`);
      }
    } catch (error) {
      const code = (error as { name?: string }).name === 'InputError' ? 'invalid-input' : 'failed';
      answer({ error: { message: errorMessage(error), code } });
    } finally {
      this.hostCalls.delete(controller);
    }
  }

  private onStderr(line: SplitLine): void {
    // A chatty plugin must not flood the backend's logs: a budget per window.
    const now = Date.now();
    if (now - this.stderrWindow.start >= STDERR_WINDOW_MS) {
      if (this.stderrWindow.dropped > 0) {
        this.options.logger.warn(
          `Plugin ${this.options.label}: ${this.stderrWindow.dropped} stderr lines were not logged`,
        );
      }
      this.stderrWindow = { start: now, lines: 0, dropped: 0 };
    }
    if (++this.stderrWindow.lines > STDERR_LINES_PER_WINDOW) {
      this.stderrWindow.dropped++;
      return;
    }
    const text = line.kind === 'line' ? line.text : `${line.prefix}… (${line.bytes} bytes)`;
    this.options.logger.info(`Plugin ${this.options.label}: ${text.trimEnd()}`);
  }

  private rejectAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const entry of pending) entry.reject(error);
  }

  private finish(exit: { code: number | null; signal: NodeJS.Signals | null; failure?: string }) {
    if (this.ended) return;
    this.ended = true;
    if (exit.failure && this.failure === undefined) this.failure = exit.failure;
    // What the plugin started must not outlive it.
    if (this.pid !== undefined) {
      killGroup(this.pid, 'SIGKILL');
      untrackGroup(this.pid);
    }
    for (const controller of this.hostCalls) controller.abort();
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    this.rejectAll(
      new PluginUnavailableError(
        this.failure !== undefined
          ? `Plugin ${this.options.label}: ${this.failure}`
          : `Plugin ${this.options.label} ${how} before answering`,
      ),
    );
    const result: PluginExit = {
      code: exit.code,
      signal: exit.signal,
      requested: this.stopping,
      failure: this.failure,
    };
    this.resolveExited(result);
    this.options.onExit(result);
  }
}
