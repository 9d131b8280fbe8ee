import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BenchFile } from '../benchManifest';
import { BenchEnvironment } from './BenchEnvironment';
import { MiB } from './stats';

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

function findTarballs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTarballs(full);
    return entry.name.endsWith('.tgz') ? [full] : [];
  });
}

/**
 * The small-files set: the 356 tarballs of the npm corpus (from verdaccio's
 * copy of it), flat under `small/` on the upstream file server, so that
 * rclone lists them with one index page. Scoped packages keep their scope in
 * the name (`jest__core-29.7.0.tgz`), which keeps the names unique.
 */
export async function smallFilesSet(env: BenchEnvironment): Promise<BenchFile[]> {
  const existing = env.set('small');
  if (existing) return existing;
  const target = path.join(env.files.root, 'small');
  fs.mkdirSync(target, { recursive: true });
  const files: BenchFile[] = [];
  for (const tarball of findTarballs(env.verdaccio.storage)) {
    const pkgDir = path.relative(env.verdaccio.storage, path.dirname(tarball));
    const scope = pkgDir.startsWith('@') ? `${pkgDir.split(path.sep)[0].slice(1)}__` : '';
    const name = `${scope}${path.basename(tarball)}`;
    const dest = path.join(target, name);
    if (fs.existsSync(dest)) throw new Error(`Two corpus tarballs flatten to ${name}`);
    fs.copyFileSync(tarball, dest);
    files.push({ path: `small/${name}`, size: fs.statSync(dest).size, sha256: await sha256File(dest) });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  env.addSet('small', files);
  return files;
}

/**
 * Generated files of random bytes under `<name>/` on the upstream file
 * server: `count` files of `size` bytes each, with their sha256.
 */
export function generatedSet(
  env: BenchEnvironment,
  name: string,
  count: number,
  size: number,
): BenchFile[] {
  const existing = env.set(name);
  if (existing) return existing;
  const dir = path.join(env.files.root, name);
  fs.mkdirSync(dir, { recursive: true });
  const chunk = Buffer.allocUnsafe(8 * MiB);
  const files: BenchFile[] = [];
  for (let i = 0; i < count; i++) {
    const file = `${name}/${name}-${i + 1}.bin`;
    const fd = fs.openSync(path.join(env.files.root, file), 'w');
    const hash = createHash('sha256');
    try {
      for (let written = 0; written < size; ) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - written));
        randomFillSync(part);
        hash.update(part);
        fs.writeSync(fd, part);
        written += part.length;
      }
    } finally {
      fs.closeSync(fd);
    }
    files.push({ path: file, size, sha256: hash.digest('hex') });
  }
  env.addSet(name, files);
  return files;
}

/** Total bytes of a set. */
export function setBytes(files: BenchFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}
