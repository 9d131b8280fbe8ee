import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../__testUtils__/serveBackend';
import {
  describeWithTerraform,
  describeWithTerraformAndTls,
  hasCommand,
  lockedHashes,
  startTlsFront,
  terraformInit,
} from '../__testUtils__/terraformCli';
import { expectedPackageH1, providerPackageEntries } from '../__testUtils__/terraformRegistry';
import { zipArchive } from '../__testUtils__/zipArchive';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The Terraform side of a bundle: the provider network mirror layout under
// terraform/, which any web server over the unpacked bundle serves as a
// network_mirror, and which Terraform reads as a filesystem_mirror (packed
// layout) as it lies on disk. The real Terraform CLI installs from both
// where it is installed (it is not in Debian's package sources).

jest.setTimeout(120_000);

const describeWithUnzip = hasCommand('unzip', ['-v']) ? describe : describe.skip;
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const ID = 'registry.example.test/acme/widget';
const zipName = (version: string, platform: string) => `terraform-provider-widget_${version}_${platform}.zip`;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('a bundle as a Terraform provider mirror', () => {
  let bundle: ServedBundle;
  const zips = new Map<string, Buffer>();

  beforeAll(async () => {
    const versions: Record<string, string[]> = { '1.0.0': ['linux_amd64'], '1.10.0': ['linux_amd64', 'darwin_arm64'] };
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'terraform',
      async seed(seeder) {
        await seeder.seed(
          'terraform',
          ID,
          Object.fromEntries(
            Object.entries(versions).map(([version, platforms]) => [
              version,
              {
                files: [
                  ...platforms.map(platform => {
                    const content = zipArchive(providerPackageEntries('widget', version, platform));
                    zips.set(zipName(version, platform), content);
                    return { path: `${ID}/${zipName(version, platform)}`, content };
                  }),
                  {
                    path: `${ID}/terraform-provider-widget_${version}_SHA256SUMS`,
                    content: Buffer.from(`sums of ${version}\n`),
                  },
                ],
              },
            ]),
          ),
        );
      },
    });
  });

  afterAll(async () => {
    await bundle?.stop();
  });

  const get = (p: string) => fetch(`${bundle.server.url}terraform/${ID}/${p}`);

  it('lays out index.json, a document per version with zh: and h1: hashes, and the packages beside them', async () => {
    expect(await (await get('index.json')).json()).toEqual({ versions: { '1.0.0': {}, '1.10.0': {} } });
    const archive = (version: string, platform: string) => ({
      url: zipName(version, platform),
      hashes: [
        `zh:${sha256(zips.get(zipName(version, platform))!)}`,
        expectedPackageH1(providerPackageEntries('widget', version, platform)),
      ],
    });
    expect(await (await get('1.10.0.json')).json()).toEqual({
      archives: { darwin_arm64: archive('1.10.0', 'darwin_arm64'), linux_amd64: archive('1.10.0', 'linux_amd64') },
    });
    const res = await get(zipName('1.0.0', 'linux_amd64'));
    expect(res.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), zips.get(zipName('1.0.0', 'linux_amd64'))!)).toBe(0);
  });

  describeWithTerraform('with the real Terraform CLI', () => {
    it('installs from the unpacked bundle as a filesystem_mirror, locking the h1: the bundle lists', async () => {
      // serveExportedBundle unpacks the bundle into <work>/root.
      const mirrorDir = path.join(bundle.work, 'root', 'terraform');
      const { lockFile } = await terraformInit({
        work: bundle.work,
        source: ID,
        version: '~> 1.0',
        cliConfig: `provider_installation {\n  filesystem_mirror {\n    path = "${mirrorDir}"\n  }\n}\n`,
      });
      expect(lockFile).toContain('version     = "1.10.0"');
      expect(lockedHashes(lockFile, ID)).toEqual([expectedPackageH1(providerPackageEntries('widget', '1.10.0', 'linux_amd64'))]);
    });

    // The loop needs unzip, which Terraform's hosts usually have; skipped without it.
    describeWithUnzip('and unzip', () => {
      it('installs from the unpacked layout that the loop in the README makes of the bundle', async () => {
        const unpacked = path.join(bundle.work, 'unpacked');
        await fs.cp(path.join(bundle.work, 'root', 'terraform'), unpacked, { recursive: true });
        // The README's loop, removing each zip after it so that only the unpacked layout is left to read.
        const loop = [
          'for zip in */*/*/terraform-provider-*.zip; do',
          '  dir=${zip%/*}; rest=${zip##*/terraform-provider-}; rest=${rest%.zip}',
          '  version=$(echo "$rest" | cut -d_ -f2); platform=$(echo "$rest" | cut -d_ -f3-4)',
          '  mkdir -p "$dir/$version/$platform" && unzip -oq "$zip" -d "$dir/$version/$platform" && rm "$zip"',
          'done',
        ].join('\n');
        expect((await runCommand('bash', ['-c', loop], { cwd: unpacked })).code).toBe(0);
        const { lockFile } = await terraformInit({
          work: bundle.work,
          source: ID,
          version: '1.0.0',
          cliConfig: `provider_installation {\n  filesystem_mirror {\n    path = "${unpacked}"\n  }\n}\n`,
        });
        expect(lockedHashes(lockFile, ID)).toEqual([expectedPackageH1(providerPackageEntries('widget', '1.0.0', 'linux_amd64'))]);
      });
    });
  });

  describeWithTerraformAndTls('with the real Terraform CLI over https', () => {
    it('installs from the bundle served by a plain web server as a network_mirror', async () => {
      const front = await startTlsFront(bundle.server.url.replace(/\/$/, ''), bundle.work);
      try {
        const { lockFile } = await terraformInit({
          work: bundle.work,
          source: ID,
          version: '1.0.0',
          cliConfig: `provider_installation {\n  network_mirror {\n    url = "${front.origin}/terraform/"\n  }\n}\n`,
          env: { SSL_CERT_FILE: front.caFile },
        });
        expect(lockFile).toContain('version     = "1.0.0"');
      } finally {
        await front.close();
      }
    });
  });
});
