import { Config } from '@backstage/config';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long an archive link of a version document works, by default. */
const DEFAULT_TTL_SECONDS = 600;
const MIN_SECRET_LENGTH = 32;

/**
 * Time-limited links to provider packages. Terraform sends credentials
 * for a network mirror's documents but not for the archives they link to,
 * and the protocol asks mirrors that protect their packages for
 * "cryptographically-secure, time-limited URLs" instead: a version
 * document served to a caller who may read the provider links each
 * package as `archives/<expires>/<signature>/<file>`, an HMAC-SHA256 of
 * the package's path and expiry, which the view accepts without
 * credentials until it expires.
 */
export class ArchiveLinks {
  private constructor(
    private readonly secret: Buffer,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Reads `backpack.serve.terraform`: the secret every replica shares
   * (`archiveLinkSecret`; without it a random one of this process, so that
   * links work only on the replica that made them) and the lifetime.
   */
  static fromConfig(config?: Config): ArchiveLinks {
    const configured = config?.getOptionalString('archiveLinkSecret');
    if (configured !== undefined && configured.length < MIN_SECRET_LENGTH) {
      throw new Error(`backpack.serve.terraform.archiveLinkSecret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    const ttl = config?.getOptionalNumber('archiveLinkTtlSeconds') ?? DEFAULT_TTL_SECONDS;
    if (!Number.isSafeInteger(ttl) || ttl <= 0) {
      throw new Error('backpack.serve.terraform.archiveLinkTtlSeconds must be a positive integer');
    }
    return new ArchiveLinks(configured ? Buffer.from(configured, 'utf8') : randomBytes(32), ttl);
  }

  /** The link of a package (`<hostname>/<namespace>/<type>/<file>`), relative to its version document. */
  link(packagePath: string, file: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    return `archives/${expires}/${this.signature(packagePath, expires)}/${file}`;
  }

  /** Whether a link's expiry and signature are the ones this view made for the package, and unexpired. */
  verify(packagePath: string, expires: string, signature: string, now = Date.now()): boolean {
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < now) return false;
    const expected = Buffer.from(this.signature(packagePath, Number(expires)));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private signature(packagePath: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${packagePath}\n${expires}`).digest('base64url');
  }
}
