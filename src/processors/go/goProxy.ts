/**
 * The GOPROXY protocol as Backpack reads it, through the upstream client
 * (host policy, size and time limits): `$base/<module>/@v/list`,
 * `@v/<version>.info`, `.mod`, `.zip` and `@latest`, with module paths
 * and versions in the proxy's case encoding.
 */
import { NotFoundError } from '@backstage/errors';
import { DiscoveryValidators } from '../types';
import { UpstreamClient, UpstreamResponse } from '../../upstream/UpstreamClient';
import { redactUrl } from '../../upstream/urls';
import { escapeModulePath } from './modulePath';

/** What `.info` and `@latest` answer. */
export interface GoVersionInfo {
  Version: string;
  Time?: string;
}

/** One GOPROXY at a base URL. */
export class GoProxy {
  constructor(
    private readonly upstream: UpstreamClient,
    /** Base URL without a trailing slash. */
    readonly base: string,
  ) {}

  /** The URL of a file of a module version (`info`, `mod`, `zip`). */
  fileUrl(module: string, version: string, extension: 'info' | 'mod' | 'zip'): string {
    return `${this.base}/${escapeModulePath(module)}/@v/${escapeModulePath(version)}.${extension}`;
  }

  /** The path of a file in a GOPROXY layout, as its URL's tail. */
  static filePath(module: string, version: string, extension: 'info' | 'mod' | 'zip'): string {
    return `${escapeModulePath(module)}/@v/${escapeModulePath(version)}.${extension}`;
  }

  /** `@v/list`: the tagged versions, one a line; NotFoundError for an unknown module. */
  async list(
    module: string,
    options: { validators?: DiscoveryValidators; signal?: AbortSignal },
  ): Promise<{ notModified: true } | { notModified: false; versions: string[]; validators: DiscoveryValidators }> {
    const url = `${this.base}/${escapeModulePath(module)}/@v/list`;
    const response = await this.upstream.read(url, options);
    if (response.notModified) return { notModified: true };
    this.expectOk(response, `Go module '${module}'`);
    const versions = response.body
      .toString('utf8')
      .split('\n')
      .map(line => line.trim().split(/\s+/)[0])
      .filter(Boolean);
    return { notModified: false, versions, validators: response.validators };
  }

  /** `@latest`, or undefined when the proxy has none (it is optional). */
  async latest(module: string, signal?: AbortSignal): Promise<GoVersionInfo | undefined> {
    const response = await this.upstream.read(`${this.base}/${escapeModulePath(module)}/@latest`, { signal });
    if (response.status === 404 || response.status === 410) return undefined;
    this.expectOk(response, `@latest of '${module}'`);
    return this.info(response);
  }

  /** A file of a version; NotFoundError when the proxy has none. */
  async file(
    module: string,
    version: string,
    extension: 'info' | 'mod' | 'zip',
    signal?: AbortSignal,
  ): Promise<UpstreamResponse> {
    const response = await this.upstream.read(this.fileUrl(module, version, extension), { signal });
    this.expectOk(response, `${module}@${version} .${extension}`);
    return response;
  }

  /** Parses an `.info` answer; undefined when it is not one. */
  info(response: UpstreamResponse): GoVersionInfo | undefined {
    try {
      const parsed = JSON.parse(response.body.toString('utf8')) as GoVersionInfo;
      return typeof parsed?.Version === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  private expectOk(response: UpstreamResponse, what: string): void {
    // A GOPROXY answers 404 or 410 for what it does not have.
    if (response.status === 404 || response.status === 410) {
      throw new NotFoundError(`${what} not found at ${redactUrl(this.base)}`);
    }
    if (response.status !== 200) {
      throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    }
  }
}
