import { ConfigReader } from '@backstage/config';
import { ArchiveLinks } from './archiveLinks';

const SECRET = 'a-secret-shared-by-every-replica-0123456789';
const PATH = 'registry.example.test/acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip';
const FILE = 'terraform-provider-widget_1.0.0_linux_amd64.zip';

describe('ArchiveLinks', () => {
  const links = ArchiveLinks.fromConfig(new ConfigReader({ archiveLinkSecret: SECRET, archiveLinkTtlSeconds: 60 }));
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);

  it('links a package for the configured time, verifiable by every replica with the secret', () => {
    const link = links.link(PATH, FILE, now);
    const [, expires, signature, file] = link.split('/');
    expect(file).toBe(FILE);
    expect(Number(expires)).toBe(now / 1000 + 60);
    const replica = ArchiveLinks.fromConfig(new ConfigReader({ archiveLinkSecret: SECRET }));
    expect(replica.verify(PATH, expires, signature, now + 59_000)).toBe(true);
    expect(replica.verify(PATH, expires, signature, now + 61_000)).toBe(false);
  });

  it('refuses another package, another expiry, a changed signature, and links of another secret', () => {
    const [, expires, signature] = links.link(PATH, FILE, now).split('/');
    expect(links.verify(PATH.replace('linux_amd64', 'darwin_arm64'), expires, signature, now)).toBe(false);
    expect(links.verify(PATH, String(Number(expires) + 3600), signature, now)).toBe(false);
    const changed = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    expect(links.verify(PATH, expires, changed, now)).toBe(false);
    expect(links.verify(PATH, 'soon', signature, now)).toBe(false);
    const [, otherExpires, otherSignature] = ArchiveLinks.fromConfig().link(PATH, FILE, now).split('/');
    expect(links.verify(PATH, otherExpires, otherSignature, now)).toBe(false);
  });

  it('refuses a short secret and a lifetime that is not a positive integer', () => {
    expect(() => ArchiveLinks.fromConfig(new ConfigReader({ archiveLinkSecret: 'short' }))).toThrow(/at least 32/);
    expect(() => ArchiveLinks.fromConfig(new ConfigReader({ archiveLinkTtlSeconds: 0 }))).toThrow(/positive integer/);
  });
});
