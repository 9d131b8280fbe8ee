import { LoggerService } from '@backstage/backend-plugin-api';
import { errorMessage } from '../../lib/errorMessage';
import { PluginTimeoutError, PluginUnavailableError } from './errors';
import { pluginEnvironment } from './pluginEnv';
import { PluginExit, PluginMethodHandler, PluginProcess } from './PluginProcess';
import { PluginHostLimits, resolveLimits } from './limits';
import { greet } from './handshake';
import { Queued, queuedRequest } from './queuedRequest';

/**
 * Options of a {@link PluginHost}.
 *
 * @public
 */
export interface PluginHostOptions<Info> extends Partial<PluginHostLimits> {
  /** Shown in logs and errors, e.g. `processor conda`. */
  label: string;
  /** The executable and its arguments; no shell is involved. */
  command: string[];
  /** The plugin's whole environment besides PATH, locale and temp dirs. */
  env?: Record<string, string>;
  cwd?: string;
  logger: LoggerService;
  /** Name of the protocol, sent in the handshake, e.g. `backpack-processor`. */
  protocol: string;
  /** Protocol versions the host speaks; the plugin picks one in its handshake answer. */
  protocolVersions: number[];
  /** More handshake parameters for the plugin. */
  handshakeParams?: Record<string, unknown>;
  /** Checks the handshake answer and returns what the host keeps of it; throwing fails the start. */
  parseHandshake?(result: Record<string, unknown>): Info;
  /** Methods the plugin may call on the host. */
  methods?: Record<string, PluginMethodHandler>;
}

/**
 * Options of one request.
 *
 * @public
 */
export interface PluginRequestOptions {
  signal?: AbortSignal;
  /** Overrides the host's `timeoutMs` for this request. */
  timeoutMs?: number;
}

type State = 'stopped' | 'starting' | 'running';

/**
 * A plugin in its own process, spoken to in newline-delimited JSON over
 * stdin/stdout (see `protocol.ts`), with the semantics of CIPD's plugin host:
 *
 * - started lazily, by the first request; requests made before it is up
 *   wait and are sent once its handshake is done, or all fail with the
 *   reason when it cannot start;
 * - requests run concurrently (up to `maxConcurrentRequests`), each failing
 *   with a PluginTimeoutError after `timeoutMs`;
 * - after a crash the requests it held fail, and the next request restarts
 *   it once a backoff (doubling per consecutive failure) has passed;
 * - stopped when idle for `idleMs` and by {@link PluginHost.close}: stdin is
 *   closed first, and its process group killed after `graceMs`;
 * - what it writes is bounded (`maxMessageBytes`); garbage fails its
 *   requests and restarts it, never the backend.
 *
 * @public
 */
export class PluginHost<Info = Record<string, unknown>> {
  private readonly limits: PluginHostLimits;
  private readonly env: Record<string, string>;
  private state: State = 'stopped';
  private process?: PluginProcess;
  private handshakeInfo?: Info;
  private readonly queue: Queued[] = [];
  private readonly inFlight = new Set<Queued>();
  private failures = 0;
  private nextStartAt = 0;
  private startTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;
  private lastFailure?: string;
  private readonly waitingForStart: Array<{ resolve(info: Info): void; reject(e: Error): void }> =
    [];

  constructor(private readonly options: PluginHostOptions<Info>) {
    if (options.command.length === 0 || !options.command[0]) {
      throw new Error(`Plugin ${options.label}: the command is empty`);
    }
    this.limits = resolveLimits(options);
    this.env = pluginEnvironment(options.env);
  }

  /** The running plugin's process id, if one runs. */
  get pid(): number | undefined {
    return this.state === 'running' ? this.process?.pid : undefined;
  }

  /** What the last successful handshake answered, if any. */
  get info(): Info | undefined {
    return this.handshakeInfo;
  }

  /** Why the plugin last failed to start or ended abnormally, if it did. */
  get lastError(): string | undefined {
    return this.lastFailure;
  }

  /** Starts the plugin if needed and resolves with its handshake answer. */
  handshake(): Promise<Info> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.state === 'running' && this.handshakeInfo !== undefined) {
      return Promise.resolve(this.handshakeInfo);
    }
    return new Promise((resolve, reject) => {
      this.waitingForStart.push({ resolve, reject });
      this.ensureStarted();
    });
  }

  /** Sends a request, starting the plugin if needed; resolves with the answer's `result`. */
  request(method: string, params: unknown, options: PluginRequestOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.queue.length >= this.limits.maxQueuedRequests) {
      return Promise.reject(
        new PluginUnavailableError(
          `Plugin ${this.options.label} has ${this.queue.length} requests waiting already`,
        ),
      );
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
      const entry = queuedRequest(method, params, resolve, reject);
      const abandon = (error: Error) => {
        if (entry.settled) return;
        const index = this.queue.indexOf(entry);
        if (index >= 0) this.queue.splice(index, 1);
        if (entry.sent) {
          entry.sent.process.forget(entry.sent.id);
          entry.sent.process.notify('cancel', { id: entry.sent.id });
          this.requestDone(entry);
        }
        entry.reject(error);
      };
      const timer = setTimeout(
        () =>
          abandon(
            new PluginTimeoutError(
              `Plugin ${this.options.label} did not answer ${method} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      const onAbort = () => abandon(options.signal!.reason ?? new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      entry.cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.queue.push(entry);
      this.clearIdle();
      this.ensureStarted();
      this.pump();
    });
  }

  /**
   * Fails every waiting request and stops the plugin: politely, then
   * killed after `graceMs`. The host takes no requests afterwards.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.clearIdle();
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = undefined;
    this.rejectWaiting(this.closedError());
    for (const entry of [...this.inFlight]) entry.reject(this.closedError());
    this.inFlight.clear();
    const process = this.process;
    if (process) await process.stop(this.limits.graceMs);
  }

  private closedError() {
    return new PluginUnavailableError(`Plugin ${this.options.label} is shut down`);
  }

  private ensureStarted(): void {
    if (this.closed || this.state !== 'stopped' || this.startTimer) return;
    const wait = this.nextStartAt - Date.now();
    if (wait > 0) {
      this.startTimer = setTimeout(() => {
        this.startTimer = undefined;
        if (this.queue.length > 0 || this.waitingForStart.length > 0) this.ensureStarted();
      }, wait);
      return;
    }
    void this.start();
  }

  private async start(): Promise<void> {
    this.state = 'starting';
    const { label, logger } = this.options;
    const process = new PluginProcess({
      label,
      command: this.options.command,
      env: this.env,
      cwd: this.options.cwd,
      logger,
      maxMessageBytes: this.limits.maxMessageBytes,
      methods: this.options.methods ?? {},
      maxHostCalls: this.limits.maxConcurrentRequests,
      onExit: exit => this.onExit(process, exit),
    });
    this.process = process;
    let info: Info;
    try {
      info = await greet(process, this.options, this.limits.startTimeoutMs);
      if (!process.usable) throw new Error('it ended right after its handshake');
    } catch (error) {
      // Closed while starting: the waiting requests failed already.
      if (this.closed) return;
      const reason = `Plugin ${label} failed to start: ${errorMessage(error)}`;
      logger.error(reason);
      process.kill();
      this.recordFailure(reason);
      if (this.process === process) {
        this.process = undefined;
        this.state = 'stopped';
      }
      this.rejectWaiting(new PluginUnavailableError(reason));
      return;
    }
    if (this.closed) return;
    this.handshakeInfo = info;
    this.state = 'running';
    logger.info(`Plugin ${label} started (pid ${process.pid})`);
    for (const waiter of this.waitingForStart.splice(0)) waiter.resolve(info);
    this.pump();
    this.scheduleIdle();
  }

  private pump(): void {
    const process = this.process;
    if (this.state !== 'running' || !process?.usable) return;
    while (this.inFlight.size < this.limits.maxConcurrentRequests) {
      const entry = this.queue.shift();
      if (!entry) return;
      this.inFlight.add(entry);
      const { id, response } = process.send(entry.method, entry.params);
      entry.sent = { process, id };
      response.then(
        value => {
          if (entry.settled) return;
          this.failures = 0;
          this.requestDone(entry);
          entry.resolve(value);
        },
        error => {
          if (entry.settled) return;
          this.requestDone(entry);
          entry.reject(error);
        },
      );
    }
  }

  private requestDone(entry: Queued): void {
    this.inFlight.delete(entry);
    this.pump();
    this.scheduleIdle();
  }

  private onExit(process: PluginProcess, exit: PluginExit): void {
    if (this.process !== process) return;
    this.process = undefined;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    if (exit.requested) {
      this.options.logger.info(`Plugin ${this.options.label} stopped`);
    } else if (wasRunning) {
      const how = exit.failure ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
      const reason = `Plugin ${this.options.label} ended unexpectedly (${how})`;
      this.recordFailure(reason);
      this.options.logger.error(
        `${reason}; it is restarted when needed, after ${this.nextStartAt - Date.now()} ms`,
      );
    }
    // A start that failed is handled by start(); requests still queued
    // (sent to none yet) get the next process.
    if (wasRunning && (this.queue.length > 0 || this.waitingForStart.length > 0)) {
      this.ensureStarted();
    }
  }

  private recordFailure(reason: string): void {
    this.lastFailure = reason;
    this.failures++;
    const { backoffInitialMs, backoffMaxMs } = this.limits;
    const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** (this.failures - 1));
    this.nextStartAt = Date.now() + delay;
  }

  private rejectWaiting(error: Error): void {
    for (const entry of this.queue.splice(0)) entry.reject(error);
    for (const waiter of this.waitingForStart.splice(0)) waiter.reject(error);
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private scheduleIdle(): void {
    this.clearIdle();
    if (this.limits.idleMs <= 0 || this.inFlight.size > 0 || this.queue.length > 0) return;
    if (this.state !== 'running') return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const process = this.process;
      if (process && this.inFlight.size === 0 && this.queue.length === 0) {
        this.options.logger.info(`Plugin ${this.options.label} is idle; stopping it`);
        void process.stop(this.limits.graceMs);
      }
    }, this.limits.idleMs);
    this.idleTimer.unref();
  }
}
