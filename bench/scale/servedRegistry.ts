import fs from 'node:fs';
import path from 'node:path';
import { BenchEnvironment } from '../lib/BenchEnvironment';
import { startServerProcess } from '../lib/childProcess';
import { generateSyntheticNpm, SyntheticNpm } from './syntheticNpm';

/** A synthetic npm registry generated into the environment's folder and served by the static registry. */
export interface ServedRegistry {
  baseUrl: string;
  registry: SyntheticNpm;
  /** Stops the server and removes the generated files. */
  stop(): Promise<void>;
}

/**
 * Generates the registry of `size` packages and serves it, for the scale
 * benchmark and the one-walk measurement alike. The server is stopped again
 * when generating fails, so a failed start leaves nothing running.
 */
export async function serveSyntheticNpm(env: BenchEnvironment, size: number): Promise<ServedRegistry> {
  const dir = path.join(env.dir, `scale-${size}`);
  fs.mkdirSync(dir, { recursive: true });
  const server = await startServerProcess({
    name: `npm registry (${size})`,
    script: 'npmStaticRegistry.ts',
    args: [dir],
    logFile: path.join(env.dir, `scale-${size}.log`),
  });
  const stop = async () => {
    await server.child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${server.port}`;
  try {
    return { baseUrl, registry: generateSyntheticNpm(dir, baseUrl, size), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
