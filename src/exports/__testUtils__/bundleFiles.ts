import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BlobStore } from '../../storage/BlobStore';
import { TAR_END, tarHeader, tarPadding } from '../tar';
import { BundleManifest } from '../manifest';

const exec = promisify(execFile);

/** The verification command of the package. */
export const VERIFY_SCRIPT = path.resolve(__dirname, '../../../bin/backpack-verify-bundle.js');

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** An npm tarball holding `package/package.json` with the given manifest. */
export function npmTarball(manifest: Record<string, unknown>): Buffer {
  const content = Buffer.from(JSON.stringify(manifest));
  return gzipSync(
    Buffer.concat([tarHeader('package/package.json', content.length, 0), content, tarPadding(content.length), TAR_END]),
  );
}

/** Copies an export's manifest and parts out of the blob store into `directory`, as a download would. */
export async function downloadBundle(
  blobStore: BlobStore,
  exportId: string,
  directory: string,
): Promise<BundleManifest> {
  await fs.mkdir(directory, { recursive: true });
  const read = async (key: string) => {
    const blob = await blobStore.get(key);
    if (!blob) throw new Error(`${key} is not in the blob store`);
    const chunks: Buffer[] = [];
    for await (const chunk of blob.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const manifestBytes = await read(`exports/${exportId}/manifest.json`);
  await fs.writeFile(path.join(directory, 'manifest.json'), manifestBytes);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
  for (const part of manifest.parts) {
    await fs.writeFile(path.join(directory, part.name), await read(`exports/${exportId}/${part.name}`));
  }
  return manifest;
}

/** Runs the verification command as a receiving side would; never throws on its exit status. */
export async function runVerify(directory: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [VERIFY_SCRIPT, directory]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Unpacks a downloaded bundle into `target` the documented way: the parts concatenated, through tar. */
export async function unpackBundle(directory: string, manifest: BundleManifest, target: string) {
  await fs.mkdir(target, { recursive: true });
  const parts = manifest.parts.map(p => `'${path.join(directory, p.name)}'`).join(' ');
  await exec('sh', ['-c', `cat ${parts} | tar -x -f - -C '${target}'`]);
}

/** Flips one bit of the byte at `offset` of the bundle's tar stream; answers the part it is in. */
export async function flipByte(directory: string, manifest: BundleManifest, offset: number): Promise<string> {
  let start = 0;
  for (const part of manifest.parts) {
    if (offset < start + part.size) {
      const file = path.join(directory, part.name);
      const bytes = await fs.readFile(file);
      bytes[offset - start] ^= 0x01;
      await fs.writeFile(file, bytes);
      return part.name;
    }
    start += part.size;
  }
  throw new Error(`offset ${offset} is beyond the bundle`);
}
