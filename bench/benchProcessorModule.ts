import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import { z } from 'zod';
import { backpackProcessorsExtensionPoint } from '../src/extensions';
import { semverScheme } from '../src/processors/npm/semverScheme';
import { BackpackProcessor } from '../src/processors/types';
import { BENCH_MANIFEST_CONFIG_KEY, BenchManifest } from './benchManifest';

/**
 * A processor over the harness's manifest: artifact `config.set` names a set
 * of files on the upstream file server, offered as one version `1.0.0`. The
 * artifact id goes into every storage path, so each repetition of a
 * benchmark collects to fresh keys without a restart.
 */
export function createBenchProcessor(manifestPath: string): BackpackProcessor {
  let cached: { mtimeMs: number; manifest: BenchManifest } | undefined;
  const manifest = (): BenchManifest => {
    // The harness may add sets while the backend runs.
    const { mtimeMs } = fs.statSync(manifestPath);
    if (cached?.mtimeMs !== mtimeMs) {
      cached = { mtimeMs, manifest: JSON.parse(fs.readFileSync(manifestPath, 'utf8')) };
    }
    return cached.manifest;
  };
  return {
    name: 'bench',
    description: 'Generated file sets on the benchmark upstream file server',
    configSchema: z.strictObject({ set: z.string() }),
    versions: semverScheme,
    async discover({ id, config }) {
      const { baseUrl, sets } = manifest();
      const files = sets[String(config.set)];
      if (!files) throw new Error(`No bench set '${config.set}' in ${manifestPath}`);
      return {
        notModified: false,
        versions: [
          {
            version: '1.0.0',
            files: files.map(file => ({
              // A file name is one path segment (see fileRefusal).
              name: file.path.replace(/\//g, '_'),
              uri: `${baseUrl}/${file.path.split('/').map(encodeURIComponent).join('/')}`,
              path: `${id}/${file.path}`,
              integrity: { algorithm: 'sha256', digest: file.sha256 },
              size: file.size,
            })),
            dependencies: [],
          },
        ],
      };
    },
  };
}

/** Adds the bench processor to Backpack; the manifest path comes from config. */
export const benchProcessorModule = createBackendModule({
  pluginId: 'backpack',
  moduleId: 'bench-processor',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        processors: backpackProcessorsExtensionPoint,
      },
      async init({ config, processors }) {
        processors.addProcessor(
          createBenchProcessor(config.getString(BENCH_MANIFEST_CONFIG_KEY)),
        );
      },
    });
  },
});
