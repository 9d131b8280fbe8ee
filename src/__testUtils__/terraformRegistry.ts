import { createHash } from 'node:crypto';
import { createMessage, generateKey, readPrivateKey, sign } from 'openpgp';
import { StaticRegistryServer } from './staticRegistryServer';
import { zipArchive, ZipEntry } from './zipArchive';

/** A provider release the {@link TerraformRegistry} publishes. */
export interface PublishedProvider {
  namespace: string;
  type: string;
  version: string;
  /** `<os>_<arch>` builds; default `linux_amd64`. */
  platforms?: string[];
}

/** A key pair made by the tests, as the registry publishes and signs with it. */
export interface SigningKey {
  publicKey: string;
  privateKey: string;
}

/** A fresh OpenPGP key pair (ECC, fast to make). */
export async function generateSigningKey(name = 'Backpack test provider signing'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKey({
    userIDs: [{ name, email: 'signing@example.test' }],
    format: 'armored',
  });
  return { publicKey, privateKey };
}

/** A detached binary signature of `data`, as registries publish SHA256SUMS.sig. */
export async function detachedSignature(data: Buffer, key: SigningKey): Promise<Buffer> {
  const signature = await sign({
    message: await createMessage({ binary: new Uint8Array(data) }),
    signingKeys: await readPrivateKey({ armoredKey: key.privateKey }),
    detached: true,
    format: 'binary',
  });
  return Buffer.from(signature as Uint8Array);
}

/**
 * The files inside a provider package: the plugin executable Terraform
 * looks for (a shell script here: the tests never run it) and a licence.
 */
export function providerPackageEntries(type: string, version: string, platform: string): ZipEntry[] {
  return [
    { path: `terraform-provider-${type}_v${version}`, content: `#!/bin/sh\n# ${type} ${version} ${platform}\nexit 1\n` },
    { path: 'LICENSE', content: `Licence of ${type} ${version}\n` },
    { path: 'docs/README.md', content: `# ${type}\n\nBuilt for ${platform}.\n` },
  ];
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * A provider registry served by the tests on 127.0.0.1: service discovery
 * at `/.well-known/terraform.json`, the `providers.v1` version listing and
 * download endpoints, and the release files (zips, SHA256SUMS and its
 * detached signature made with a key the tests generate) under
 * `/releases/`, as releases.hashicorp.com lays them out.
 */
export class TerraformRegistry {
  /** Package zips by file name. */
  readonly zips = new Map<string, Buffer>();
  private readonly releases = new Map<string, PublishedProvider[]>();

  private constructor(
    readonly server: StaticRegistryServer,
    readonly key: SigningKey,
  ) {}

  static async start(providers: PublishedProvider[]): Promise<TerraformRegistry> {
    const registry = new TerraformRegistry(await StaticRegistryServer.start(), await generateSigningKey());
    registry.server.set('/.well-known/terraform.json', {
      body: JSON.stringify({ 'providers.v1': '/v1/providers/' }),
      contentType: 'application/json',
    });
    for (const provider of providers) await registry.publish(provider);
    return registry;
  }

  get url(): string {
    return this.server.url;
  }

  /** Publishes a release: its zips, signed checksums, download documents and the updated listing. */
  async publish(provider: PublishedProvider): Promise<void> {
    const { namespace, type, version } = provider;
    const platforms = provider.platforms ?? ['linux_amd64'];
    const dir = `/releases/${type}/${version}`;
    const sumsName = `terraform-provider-${type}_${version}_SHA256SUMS`;
    const lines: string[] = [];
    for (const platform of platforms) {
      const filename = `terraform-provider-${type}_${version}_${platform}.zip`;
      const zip = zipArchive(providerPackageEntries(type, version, platform));
      this.zips.set(filename, zip);
      this.server.set(`${dir}/${filename}`, zip);
      lines.push(`${sha256(zip)}  ${filename}`);
    }
    const sums = Buffer.from(`${lines.join('\n')}\n`);
    this.server.set(`${dir}/${sumsName}`, sums);
    this.server.set(`${dir}/${sumsName}.sig`, await detachedSignature(sums, this.key));
    for (const platform of platforms) {
      const [os, arch] = platform.split('_');
      const filename = `terraform-provider-${type}_${version}_${platform}.zip`;
      this.server.set(`/v1/providers/${namespace}/${type}/${version}/download/${os}/${arch}`, {
        contentType: 'application/json',
        body: JSON.stringify({
          protocols: ['5.0'],
          os,
          arch,
          filename,
          download_url: `${this.url}${dir}/${filename}`,
          shasums_url: `${this.url}${dir}/${sumsName}`,
          // Relative, as the protocol allows: resolved against the endpoint's URL.
          shasums_signature_url: `/releases/${type}/${version}/${sumsName}.sig`,
          shasum: sha256(this.zips.get(filename)!),
          signing_keys: { gpg_public_keys: [{ key_id: 'TEST', ascii_armor: this.key.publicKey }] },
        }),
      });
    }
    const key = `${namespace}/${type}`;
    this.releases.set(key, [...(this.releases.get(key) ?? []).filter(r => r.version !== version), provider]);
    this.server.set(`/v1/providers/${key}/versions`, {
      contentType: 'application/json',
      body: JSON.stringify({
        versions: this.releases.get(key)!.map(r => ({
          version: r.version,
          protocols: ['5.0'],
          platforms: (r.platforms ?? ['linux_amd64']).map(p => ({ os: p.split('_')[0], arch: p.split('_')[1] })),
        })),
      }),
    });
  }

  /** Replaces a release's signature by one made with another key. */
  async signWithOtherKey(type: string, version: string): Promise<void> {
    const sumsPath = `/releases/${type}/${version}/terraform-provider-${type}_${version}_SHA256SUMS`;
    const other = await generateSigningKey('Someone else');
    const sums = await fetch(`${this.url}${sumsPath}`).then(async r => Buffer.from(await r.arrayBuffer()));
    this.server.set(`${sumsPath}.sig`, await detachedSignature(sums, other));
  }

  /** Serves other bytes for a release's zip, leaving the checksums as they are. */
  tamperZip(type: string, version: string, platform: string): void {
    const filename = `terraform-provider-${type}_${version}_${platform}.zip`;
    const tampered = Buffer.from(this.zips.get(filename)!);
    tampered[10] ^= 0xff;
    this.server.set(`/releases/${type}/${version}/${filename}`, tampered);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

/**
 * The `h1:` hash Terraform records for a package of these entries, worked
 * out from the entries themselves (not from any zip): Go's dirhash Hash1,
 * the lines "<sha256 hex>  <name>\n" sorted by name, hashed, in base64.
 */
export function expectedPackageH1(entries: ZipEntry[]): string {
  const lines = entries
    .map(e => ({ name: e.path, line: `${sha256(Buffer.from(e.content))}  ${e.path}\n` }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    .map(e => e.line);
  return `h1:${createHash('sha256').update(lines.join('')).digest('base64')}`;
}
