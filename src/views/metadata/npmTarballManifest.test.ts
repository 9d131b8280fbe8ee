import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readNpmTarballManifest } from './npmTarballManifest';

const exec = promisify(execFile);

describe('readNpmTarballManifest', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-tarball-'));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Packs `<root>/big.bin` before `<root>/package.json` with GNU tar in the given format. */
  async function pack(root: string, format: 'pax' | 'gnu' | 'ustar') {
    const source = path.join(dir, `${format}-src`);
    await fs.mkdir(path.join(source, root), { recursive: true });
    // Incompressible and not a multiple of 512, so the reader must skip padding.
    await fs.writeFile(path.join(source, root, 'big.bin'), randomBytes(300_001));
    await fs.writeFile(
      path.join(source, root, 'package.json'),
      JSON.stringify({ name: 'demo', version: '1.0.0', bin: { demo: 'cli.js' } }),
    );
    const tarball = path.join(dir, `${format}.tgz`);
    await exec('tar', [
      '-czf',
      tarball,
      `--format=${format}`,
      '-C',
      source,
      `${root}/big.bin`,
      `${root}/package.json`,
    ]);
    return createReadStream(tarball);
  }

  it.each(['pax', 'gnu'] as const)(
    'finds package.json behind other entries under a long %s root name',
    async format => {
      const root = `package-${'x'.repeat(170)}`;
      expect(await readNpmTarballManifest(await pack(root, format))).toEqual({
        name: 'demo',
        version: '1.0.0',
        bin: { demo: 'cli.js' },
      });
    },
  );

  it('reads plain ustar archives', async () => {
    expect(await readNpmTarballManifest(await pack('package', 'ustar'))).toMatchObject({
      name: 'demo',
    });
  });

  it('throws when the source stream fails, which says nothing about the tarball', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('storage went away'));
      },
    });
    await expect(readNpmTarballManifest(failing)).rejects.toThrow('storage went away');
  });

  it('answers undefined without a package.json, for non-gzip bytes and for broken JSON', async () => {
    const header = Buffer.alloc(512);
    header.write('package/README.md', 0);
    header.write('0000000\0', 124);
    expect(
      await readNpmTarballManifest(Readable.from([gzipSync(Buffer.concat([header, Buffer.alloc(1024)]))])),
    ).toBeUndefined();
    expect(await readNpmTarballManifest(Readable.from([Buffer.from('not a tarball')]))).toBeUndefined();

    const broken = Buffer.alloc(512);
    broken.write('package/package.json', 0);
    broken.write('00000000003\0', 124);
    const tar = Buffer.concat([broken, Buffer.from('{x}'), Buffer.alloc(509 + 1024)]);
    expect(await readNpmTarballManifest(Readable.from([gzipSync(tar)]))).toBeUndefined();
  });
});

describe('readNpmTarballManifest limits', () => {
  /** A minimal ustar entry: header and zero-padded data. */
  const entry = (name: string, data: Buffer) => {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('0', 156);
    header.write('ustar\0', 257);
    return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
  };
  const manifest = entry('package/package.json', Buffer.from('{"name":"demo"}'));
  const tgz = (...entries: Buffer[]) =>
    Readable.from([gzipSync(Buffer.concat([...entries, manifest, Buffer.alloc(1024)]))]);
  const limits = { maxInflatedBytes: 1024 * 1024, maxEntries: 10 };

  it('gives up after too many entries', async () => {
    const many = Array.from({ length: 50 }, (_, i) => entry(`package/f${i}`, Buffer.alloc(0)));
    expect(await readNpmTarballManifest(tgz(...many), limits)).toBeUndefined();
    expect(await readNpmTarballManifest(tgz(...many))).toEqual({ name: 'demo' });
  });

  it('gives up after inflating too many bytes, however well they compress', async () => {
    const bomb = entry('package/zeros.bin', Buffer.alloc(20 * 1024 * 1024));
    expect(await readNpmTarballManifest(tgz(bomb), limits)).toBeUndefined();
    expect(await readNpmTarballManifest(tgz(bomb))).toEqual({ name: 'demo' });
  });
});
