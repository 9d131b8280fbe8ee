import fs from 'node:fs';
import path from 'node:path';
import { BackendBuild } from './backendBuild';
import { Child, REPO_ROOT, startChild, tail, TS_REQUIRE } from './childProcess';
import { MemorySample, readMemorySamples } from './memorySamples';
import { peakRss, resetPeakRss } from './procfs';

/** How a backend process is started. */
export interface BackendProcessOptions {
  name: string;
  /** App-config files, merged in order. */
  configFiles: string[];
  port: number;
  logFile: string;
  /** Where CPU profiles asked for with {@link BackendProcess.profile} go. */
  profileDir: string;
  /**
   * What runs Backpack: the built package (`dist`) or the source through the
   * TypeScript transform; see {@link BackendBuild}.
   */
  build: BackendBuild;
  /**
   * Another entry point instead of Backpack's (e.g. `bench/bareBackend.js`),
   * relative to the repository; `build` does not apply to it.
   */
  script?: string;
  /** With `script`: load the TypeScript transform; default true. */
  transform?: boolean;
  /**
   * The checkout whose backend is started from source (default this
   * repository): a worktree of an older commit measures "before" against
   * "after" in one run. Only with `build` `source`.
   */
  repoRoot?: string;
  /**
   * Have the backend log process.memoryUsage() every 100 ms (bench/backend.ts),
   * read with {@link BackendProcess.memorySamples}.
   */
  memoryLog?: boolean;
  /** Node's own flags before the entry point, e.g. `--max-semi-space-size=2`. */
  nodeFlags?: string[];
}

function memoryLogFile(options: BackendProcessOptions): string {
  return path.join(options.profileDir, 'memory.log');
}

/** Node's arguments (before `--config`) for a backend process. */
function entryArgs(options: BackendProcessOptions): string[] {
  if (options.script) {
    return [
      ...(options.transform === false ? [] : TS_REQUIRE),
      path.join(options.repoRoot ?? REPO_ROOT, options.script),
    ];
  }
  if (options.build.kind === 'dist') {
    if (options.repoRoot) {
      throw new Error('A backend of another checkout runs from source (build: { kind: "source" })');
    }
    return [options.build.entry];
  }
  return [...TS_REQUIRE, path.join(options.repoRoot ?? REPO_ROOT, 'bench/backend.ts')];
}

/**
 * One Backstage backend with Backpack (bench/backend.ts) in its own process,
 * started as `node dist/bench/backend.js --config ...` over the built
 * package, or `node --require @backstage/cli/config/nodeTransform.cjs
 * bench/backend.ts --config ...` from source.
 */
export class BackendProcess {
  private constructor(
    readonly child: Child,
    /** `http://127.0.0.1:<port>` */
    readonly origin: string,
    readonly options: BackendProcessOptions,
  ) {}

  /** Where Backpack's REST API is mounted. */
  get baseUrl(): string {
    return `${this.origin}/api/backpack`;
  }

  get pid(): number {
    return this.child.pid;
  }

  static async start(options: BackendProcessOptions): Promise<BackendProcess> {
    const { child } = await startChild({
      name: options.name,
      command: process.execPath,
      args: [...(options.nodeFlags ?? []), ...entryArgs(options), ...options.configFiles.flatMap(f => ['--config', f])],
      logFile: options.logFile,
      cwd: options.repoRoot,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        BACKPACK_BENCH_PROFILE_DIR: options.profileDir,
        ...(options.memoryLog ? { BACKPACK_BENCH_MEMORY_LOG: memoryLogFile(options) } : {}),
      },
    });
    const backend = new BackendProcess(child, `http://127.0.0.1:${options.port}`, options);
    await backend.waitUntilHealthy();
    return backend;
  }

  private async waitUntilHealthy(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.child.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(
          `Backend ${this.options.name} exited during startup:\n${tail(this.child.logFile)}`,
        );
      }
      try {
        // The root readiness check answers once every plugin has started.
        const response = await fetch(`${this.origin}/.backstage/health/v1/readiness`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise(r => setTimeout(r, 200));
    }
    await this.child.stop({ signal: 'SIGKILL' });
    throw new Error(
      `Backend ${this.options.name} did not become healthy in ${timeoutMs} ms:\n${tail(this.child.logFile)}`,
    );
  }

  /** Peak RSS in bytes since start or the last {@link resetPeakRss}. */
  peakRss(): number {
    return peakRss(this.pid);
  }

  resetPeakRss(): boolean {
    return resetPeakRss(this.pid);
  }

  /** What the backend logged from `from` to `to` (epoch ms); empty without `memoryLog`. */
  memorySamples(from: number, to: number): MemorySample[] {
    return this.options.memoryLog ? readMemorySamples(memoryLogFile(this.options), from, to) : [];
  }

  /**
   * Runs `work` while the backend records a V8 CPU profile (SIGUSR2 on and
   * off, see bench/backend.ts); resolves with the profile's path.
   */
  async profile(work: () => Promise<void>): Promise<string> {
    const dir = this.options.profileDir;
    const before = new Set(fs.readdirSync(dir));
    this.child.process.kill('SIGUSR2');
    // Give the inspector a moment to start sampling.
    await new Promise(r => setTimeout(r, 200));
    try {
      await work();
    } finally {
      this.child.process.kill('SIGUSR2');
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const written = fs
        .readdirSync(dir)
        .find(f => f.endsWith('.cpuprofile') && !before.has(f));
      if (written) return path.join(dir, written);
      await new Promise(r => setTimeout(r, 200));
    }
    throw new Error(`Backend ${this.options.name} wrote no CPU profile into ${dir}`);
  }

  async stop(): Promise<void> {
    await this.child.stop({ graceMs: 30_000 });
  }
}
