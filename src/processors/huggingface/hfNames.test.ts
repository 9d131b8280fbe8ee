import { createPathFilter } from './hfGlobs';
import { fileNameOfRepoPath, isRepoPath, parseHubRepoId, repoPathOfFileName } from './hfNames';
import { formatRevisionRecord, parseRevisionRecord } from './revisionRecord';

describe('Hugging Face names', () => {
  it('parses ids into kind and name', () => {
    expect(parseHubRepoId('org/model')).toEqual({ type: 'model', name: 'org/model' });
    expect(parseHubRepoId('datasets/org/data')).toEqual({ type: 'dataset', name: 'org/data' });
    expect(parseHubRepoId('spaces/org/app')).toEqual({ type: 'space', name: 'org/app' });
    expect(parseHubRepoId('datasets/squad')).toEqual({ type: 'dataset', name: 'squad' });
    expect(parseHubRepoId('Org.Name/Model_v1.5-x')).toEqual({ type: 'model', name: 'Org.Name/Model_v1.5-x' });
    expect(() => parseHubRepoId(`org/${'m'.repeat(97)}`)).toThrow(/is not a Hugging Face repository/);
    expect(() => parseHubRepoId('constructor/x/y')).toThrow(/is not a Hugging Face repository/);
  });

  it('turns repository paths into one-segment file names and back, for every character', () => {
    for (const path of ['config.json', 'sub/folder/a.json', 'odd%2Fname.txt', 'back\\slash', '%25/%/x', 'ü/日本.bin']) {
      const name = fileNameOfRepoPath(path);
      expect(name).not.toContain('/');
      expect(name).not.toContain('\\');
      expect(repoPathOfFileName(name)).toBe(path);
    }
    // Distinct paths, distinct names.
    expect(fileNameOfRepoPath('a/b')).not.toBe(fileNameOfRepoPath('a%2Fb'));
    // Names no path gives.
    expect(repoPathOfFileName('a%41')).toBeUndefined();
    expect(repoPathOfFileName('a%')).toBeUndefined();
  });

  it('accepts relative paths only', () => {
    expect(isRepoPath('a/b.json')).toBe(true);
    for (const bad of ['', '/a', 'a/', 'a//b', '../a', 'a/./b', 'a\\b', 'x'.repeat(1025)]) {
      expect([bad, isRepoPath(bad)]).toEqual([bad, false]);
    }
  });
});

describe('createPathFilter', () => {
  const paths = ['config.json', 'model.safetensors', 'sub/tok.json', 'sub/deep/w.safetensors', '.gitattributes', 'onnx/model.onnx'];
  const kept = (include?: string[], exclude?: string[]) => paths.filter(createPathFilter(include, exclude));

  it('keeps everything without globs', () => {
    expect(kept()).toEqual(paths);
    expect(kept([])).toEqual(paths);
  });

  it('matches names in any folder for globs without a slash, whole paths otherwise', () => {
    expect(kept(['*.safetensors'])).toEqual(['model.safetensors', 'sub/deep/w.safetensors']);
    expect(kept(['sub/*.json'])).toEqual(['sub/tok.json']);
    expect(kept(['sub/**'])).toEqual(['sub/tok.json', 'sub/deep/w.safetensors']);
    expect(kept(['onnx/'])).toEqual(['onnx/model.onnx']);
    expect(kept(['.git*'])).toEqual(['.gitattributes']);
  });

  it('applies exclude after include, and takes `!` literally', () => {
    expect(kept(['*.json', '*.safetensors'], ['sub/'])).toEqual(['config.json', 'model.safetensors']);
    expect(kept(['!*.json'])).toEqual([]);
  });
});

describe('revision records', () => {
  it('round-trips and drops what no config could name', () => {
    const sha = 'f'.repeat(40);
    expect(parseRevisionRecord(formatRevisionRecord({ sha, revisions: ['main', 'v1'] }))).toEqual({ sha, revisions: ['main', 'v1'] });
    expect(parseRevisionRecord(JSON.stringify({ sha, revisions: ['main', '../x', 7] }))?.revisions).toEqual(['main']);
    for (const bad of [undefined, '', 'not json', '{}', JSON.stringify({ sha: 'short', revisions: [] })]) {
      expect(parseRevisionRecord(bad)).toBeUndefined();
    }
  });
});
