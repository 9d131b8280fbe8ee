import { createHash } from 'node:crypto';
import { MirroredFile } from '../../database/MirrorReadStore';
import { hubFileEntries, lfsPointer, treeListing } from './hubDocuments';

const file = (name: string, integrity: MirroredFile['integrity'], size = 10): MirroredFile => ({
  name,
  path: name,
  storageKey: `k/${name}`,
  integrity,
  size,
  verified: true,
});

describe('hubDocuments', () => {
  it('writes the LFS pointer as git-lfs does', () => {
    // The pointer of an empty file, whose blob id git-lfs users know.
    const empty = createHash('sha256').update('').digest('hex');
    expect(lfsPointer(empty, 0).toString()).toBe(
      `version https://git-lfs.github.com/spec/v1\noid sha256:${empty}\nsize 0\n`,
    );
  });

  it('describes LFS files by their sha256 and pointer, others by their blob id, and leaves out the rest', () => {
    const sha = 'ab'.repeat(32);
    const blob = 'cd'.repeat(20);
    const entries = hubFileEntries([
      file('w.bin', { algorithm: 'sha256', digest: sha }, 1234),
      file('sub%2Fc.json', { algorithm: 'git-blob-sha1', digest: blob }, 5),
      file('other', { algorithm: 'sha512', digest: 'ef'.repeat(64) }),
      file('none', undefined),
    ]);
    const pointer = lfsPointer(sha, 1234);
    expect(entries.map(({ file: _f, ...rest }) => rest)).toEqual([
      {
        path: 'w.bin',
        size: 1234,
        oid: createHash('sha1').update(`blob ${pointer.length}\0`).update(pointer).digest('hex'),
        lfs: { sha256: sha, size: 1234, pointerSize: pointer.length },
      },
      { path: 'sub/c.json', size: 5, oid: blob },
    ]);
  });

  it('lists folders first, then files; a folder alone or everything below it', () => {
    const blob = { algorithm: 'git-blob-sha1', digest: '11'.repeat(20) } as const;
    const entries = hubFileEntries(['b.json', 'a%2Fx.json', 'a%2Fy%2Fz.json', 'c%2Fd.json'].map(n => file(n, blob)));
    const paths = (listing: Array<{ type: string; path: string }>) => listing.map(e => `${e.type[0]} ${e.path}`);
    expect(paths(treeListing(entries, '', false))).toEqual(['d a', 'd c', 'f b.json']);
    expect(paths(treeListing(entries, 'a', false))).toEqual(['d a/y', 'f a/x.json']);
    expect(paths(treeListing(entries, '', true))).toEqual([
      'd a',
      'd a/y',
      'd c',
      'f a/x.json',
      'f a/y/z.json',
      'f b.json',
      'f c/d.json',
    ]);
    expect(treeListing(entries, 'none', true)).toEqual([]);
  });
});
