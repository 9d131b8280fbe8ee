import { createHash } from 'node:crypto';
import { semverScheme } from '../processors/npm/semverScheme';
import { BackpackProcessor, ProcessorFile } from '../processors/types';

/** Packages of an in-memory upstream: id → version → dependencies (id → range). */
export type InMemoryPackages = Record<string, Record<string, Record<string, string>>>;

/**
 * A semver processor over packages in memory, for suites that need a
 * processor but no real upstream. Each version has one file whose sha256
 * is that of `content`, at `<id>/-/<name>` (`name` `<id>-<version>.tgz`
 * unless `file` says otherwise), and runtime dependencies on the same
 * processor; an id it does not know has one version, 0.1.0. Ids are
 * case-insensitive, to show normalisation.
 */
export function inMemoryProcessor(options: {
  name: string;
  description: string;
  configSchema: BackpackProcessor['configSchema'];
  packages: InMemoryPackages;
  /** Where a version's file is downloaded from, its bytes, and optionally its name and size. */
  file(id: string, version: string): Pick<ProcessorFile, 'uri' | 'size'> & { name?: string; content: string };
  allowedHosts?: BackpackProcessor['allowedHosts'];
}): BackpackProcessor {
  const { name: processor, packages } = options;
  return {
    name: processor,
    description: options.description,
    configSchema: options.configSchema,
    versions: semverScheme,
    normalizeId: id => id.toLowerCase(),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    async discover({ id }) {
      const versions = packages[id] ?? { '0.1.0': {} };
      return {
        notModified: false,
        versions: Object.entries(versions).map(([version, dependencies]) => {
          const { content, name = `${id}-${version}.tgz`, uri, size } = options.file(id, version);
          return {
            version,
            files: [
              {
                name,
                uri,
                path: `${id}/-/${name}`,
                integrity: { algorithm: 'sha256', digest: createHash('sha256').update(content).digest('hex') },
                ...(size === undefined ? {} : { size }),
              },
            ],
            dependencies: Object.entries(dependencies).map(([dep, range]) => ({
              processor,
              id: dep,
              range,
              kind: 'runtime' as const,
            })),
          };
        }),
      };
    },
  };
}
