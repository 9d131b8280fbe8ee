import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { errorMessage } from '../../lib/errorMessage';
import { HostPolicy } from '../../upstream/HostPolicy';

/** The processor's name and config block, `backpack.processors.files`. */
export const FILES = 'files';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
/** What `{version}` stands for when a URL is checked before any version is known. */
const PLACEHOLDER = '{version}';

const sha256 = z.string().regex(SHA256, 'must be a sha256 digest (64 hex digits)');
const url = z.string().min(1).max(4096);

const fileSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('File name (default: the last path segment of the URL); may contain {version}'),
  url: url.describe('Where the file is downloaded from; may contain {version}'),
  sha256: z
    .union([sha256, z.record(z.string(), sha256)])
    .optional()
    .describe('Expected sha256: one digest, or one per version'),
  checksumUrl: url
    .optional()
    .describe('A checksum file (`<hex>  <name>` lines, or a bare digest) that declares the sha256; may contain {version}'),
});

/** The artifact config's shape, before the host check. */
const shape = artifactConfigSchema('files', {
  files: z.array(fileSchema).min(1).max(1000).optional().describe('The files of every version'),
  versions: z
    .array(z.string().regex(VERSION, 'must be a version: letters, digits, `.`, `_`, `+`, `~`, `-`'))
    .min(1)
    .max(1000)
    .optional()
    .describe('Versions, each substituted for {version} in URLs and names (default one version, `current`)'),
  urlTemplate: url.optional().describe('Shorthand for one file: its URL with {version}'),
  name: fileSchema.shape.name,
  sha256: fileSchema.shape.sha256,
  checksumUrl: fileSchema.shape.checksumUrl,
});

/**
 * Per-artifact configuration of a set of plain files, as parsed.
 *
 * @public
 */
export type FilesArtifactConfig = z.infer<typeof shape>;

/** One file of the config, the shorthand expanded. */
export type FileSpec = z.infer<typeof fileSchema>;

/** The version used when the config lists none. */
export const UNVERSIONED = 'current';

/** The files and versions a config names, the `urlTemplate` shorthand expanded. */
export function specsOf(config: FilesArtifactConfig): { files: FileSpec[]; versions: string[] } {
  const files: FileSpec[] = config.urlTemplate
    ? [{ url: config.urlTemplate, name: config.name, sha256: config.sha256, checksumUrl: config.checksumUrl }]
    : config.files ?? [];
  return { files, versions: config.versions ?? [UNVERSIONED] };
}

/** The last path segment of a URL, decoded; empty when it has none or is not a URL. */
export function baseNameOf(location: string): string {
  try {
    return decodeURIComponent(new URL(location).pathname.split('/').pop() ?? '');
  } catch {
    return '';
  }
}

/** `template` with `{version}` replaced. */
export function expand(template: string, version: string): string {
  return template.split(PLACEHOLDER).join(version);
}

/**
 * The artifact config schema of the files processor: the shape above, and
 * every URL's host in `backpack.allowedHosts` (checked per version), so that
 * create, update and preview answer 400 naming the field before any request.
 */
export function filesArtifactConfigSchema(policy: HostPolicy) {
  return shape.superRefine((value, ctx) => {
    if (!value.files === !value.urlTemplate) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'give either files or urlTemplate' });
      return;
    }
    if (value.urlTemplate === undefined && (value.name ?? value.sha256 ?? value.checksumUrl) !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['urlTemplate'], message: 'name, sha256 and checksumUrl at the top level need urlTemplate' });
    }
    const { files, versions } = specsOf(value);
    if (new Set(versions.map(v => v.toLowerCase())).size !== versions.length) {
      ctx.addIssue({ code: 'custom', path: ['versions'], message: 'lists a version twice (letter case aside)' });
    }
    files.forEach((file, index) => {
      const base = value.urlTemplate ? [] : ['files', index];
      for (const field of ['url', 'checksumUrl'] as const) {
        const template = file[field];
        if (template === undefined) continue;
        const path = value.urlTemplate ? [field === 'url' ? 'urlTemplate' : field] : [...base, field];
        for (const version of versions) {
          try {
            policy.check(expand(template, version));
          } catch (error) {
            ctx.addIssue({
              code: 'custom',
              path,
              message: `${errorMessage(error)}; the files processor reads only hosts in backpack.allowedHosts`,
            });
            break;
          }
        }
      }
      if (file.name === undefined && versions.some(version => !baseNameOf(expand(file.url, version)))) {
        ctx.addIssue({
          code: 'custom',
          path: value.urlTemplate ? ['name'] : [...base, 'name'],
          message: 'required: the URL has no file name to take',
        });
      }
      if (typeof file.sha256 === 'object') {
        const unknown = Object.keys(file.sha256).filter(v => !versions.includes(v));
        if (unknown.length) {
          ctx.addIssue({
            code: 'custom',
            path: [...base, 'sha256'],
            message: `names versions not in versions: ${unknown.slice(0, 5).join(', ')}`,
          });
        }
      }
    });
  });
}

/** The processor-wide settings from `backpack.processors.files`. */
export interface FilesSettings {
  /** The hosts files may come from: `backpack.allowedHosts`, nothing else. */
  policy: HostPolicy;
  maxChecksumBytes: number;
}

/** Reads `backpack.allowedHosts` and `backpack.processors.files`. */
export function readFilesSettings(config: Config | undefined, root: Config): FilesSettings {
  const policy = new HostPolicy();
  try {
    policy.allow(root.getOptionalStringArray('backpack.allowedHosts') ?? [], 'operator');
  } catch (error) {
    throw new InputError(`backpack.allowedHosts: ${errorMessage(error)}`);
  }
  const maxChecksumBytes = config?.getOptionalNumber('maxChecksumBytes') ?? 1024 * 1024;
  if (!Number.isSafeInteger(maxChecksumBytes) || maxChecksumBytes < 1) {
    throw new InputError('backpack.processors.files.maxChecksumBytes: must be a positive integer');
  }
  return { policy, maxChecksumBytes };
}
