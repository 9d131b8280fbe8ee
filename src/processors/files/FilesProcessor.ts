import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { redactUrl } from '../../upstream/urls';
import { parseChecksumFile } from '../githubReleases/checksumFiles';
import { ReleaseTagScheme } from '../githubReleases/releaseTagScheme';
import { BackpackProcessor, DiscoverOptions, DiscoveryResult, ProcessorFile, ProcessorVersion } from '../types';
import { baseNameOf, expand, FILES, filesArtifactConfigSchema, FileSpec, readFilesSettings, specsOf } from './filesConfig';

/**
 * Options for {@link createFilesProcessor}.
 *
 * @public
 */
export interface FilesProcessorOptions {
  /** The `backpack.processors.files` config block. */
  config?: Config;
  /** The root config, for `backpack.allowedHosts`. */
  rootConfig: Config;
  upstream: UpstreamClient;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,199}$/;

/** An id is one lower-case name, so that it is one path segment on every file system. */
export function normalizeFilesId(id: string): string {
  const lower = id.toLowerCase();
  if (!ID.test(lower)) {
    throw new InputError(`id: '${id.slice(0, 200)}' is not a name of letters, digits, '.', '_' and '-'`);
  }
  return lower;
}

/**
 * Creates the files processor: an artifact is a named set of plain URLs,
 * optionally one set per version (`{version}` in the URLs), each file with
 * its expected sha256, inline or from a checksum file, which is collected
 * too. Only hosts in `backpack.allowedHosts` are read. No dependencies.
 *
 * @public
 */
export function createFilesProcessor(options: FilesProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readFilesSettings(options.config, options.rootConfig);
  const schema = filesArtifactConfigSchema(settings.policy);
  const scheme = new ReleaseTagScheme();

  /** Reads a checksum file: its digests by name, and the digest of its own bytes. */
  async function readChecksums(url: string, name: string, signal?: AbortSignal) {
    const response = await upstream.read(url, { signal });
    if (response.status !== 200) {
      return { problem: `checksum file ${redactUrl(url)} answered ${response.status}` };
    }
    if (response.body.length > settings.maxChecksumBytes) {
      return {
        problem: `checksum file ${redactUrl(url)} is larger than ${settings.maxChecksumBytes} bytes (backpack.processors.files.maxChecksumBytes)`,
      };
    }
    // A bare digest is the file's own, whatever the checksum file is called.
    const digests = parseChecksumFile(`${name}.sha256`, response.body.toString('utf8'));
    return { digests, own: createHash('sha256').update(response.body).digest('hex') };
  }

  async function filesOf(
    specs: FileSpec[],
    version: string,
    logger: LoggerService,
    signal?: AbortSignal,
  ): Promise<ProcessorFile[]> {
    const files: ProcessorFile[] = [];
    const names = new Set<string>();
    const add = (file: ProcessorFile) => {
      const folded = file.name.toLowerCase();
      if (names.has(folded)) file.skipped = `another file of the version is named ${file.name} up to letter case`;
      names.add(folded);
      files.push(file);
    };
    const checksumFiles = new Map<string, ProcessorFile>();
    for (const spec of specs) {
      const uri = expand(spec.url, version);
      // Checked again: stored configs bypass the API.
      settings.policy.check(uri);
      const name = spec.name ? expand(spec.name, version) : baseNameOf(uri);
      const file: ProcessorFile = { name, uri, path: name };
      const inline = typeof spec.sha256 === 'object' ? spec.sha256[version] : spec.sha256;
      if (inline) file.integrity = { algorithm: 'sha256', digest: inline.toLowerCase() };
      if (spec.checksumUrl) {
        const checksumUrl = expand(spec.checksumUrl, version);
        settings.policy.check(checksumUrl);
        const read = await readChecksums(checksumUrl, name, signal);
        const declared = read.digests?.get(name) ?? read.digests?.get(baseNameOf(uri));
        if (read.problem) file.skipped = read.problem;
        else if (!declared) file.skipped = `checksum file ${redactUrl(checksumUrl)} has no sha256 for ${name}`;
        else if (inline && inline.toLowerCase() !== declared) {
          file.skipped = `the inline sha256 and checksum file ${redactUrl(checksumUrl)} disagree`;
        } else file.integrity = { algorithm: 'sha256', digest: declared };
        const checksumName = baseNameOf(checksumUrl);
        if (read.own && !checksumFiles.has(checksumUrl)) {
          checksumFiles.set(checksumUrl, {
            name: checksumName,
            uri: checksumUrl,
            path: checksumName,
            integrity: { algorithm: 'sha256', digest: read.own },
          });
        }
      }
      if (!file.integrity && !file.skipped) logger.debug(`${name} ${version}: no sha256 declared`);
      add(file);
    }
    for (const file of checksumFiles.values()) {
      if (!names.has(file.name.toLowerCase())) add(file);
    }
    return files;
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    normalizeFilesId(request.id);
    const config = parseArtifactConfig(schema, request.config);
    const { files, versions } = specsOf(config);
    const found: ProcessorVersion[] = [];
    for (const version of versions) {
      found.push({
        version,
        files: await filesOf(files, version, discoverOptions.logger, discoverOptions.signal),
        dependencies: [],
      });
    }
    return { notModified: false, versions: found };
  }

  return {
    name: FILES,
    description: 'Plain files from URLs on backpack.allowedHosts, each verified by its sha256',
    configSchema: schema as unknown as z.ZodType<JsonObject>,
    versions: scheme,
    normalizeId: normalizeFilesId,
    discover,
  };
}
