import { minimatch } from 'minimatch';

/**
 * Whether a repository path passes the include and exclude globs
 * (minimatch syntax). As with huggingface_hub's `allow_patterns`, a glob
 * without `/` (`*.safetensors`) matches file names in any folder; a glob
 * with `/` matches the whole path, `**` crossing folders; a trailing `/`
 * means the folder's whole content. Dot files match like any other.
 */
export function createPathFilter(include?: string[], exclude?: string[]): (path: string) => boolean {
  const compile = (pattern: string) => {
    const glob = pattern.endsWith('/') ? `${pattern}**` : pattern;
    return (path: string) =>
      minimatch(path, glob, { dot: true, matchBase: true, nonegate: true, nocomment: true, noext: true });
  };
  const included = include?.length ? include.map(compile) : undefined;
  const excluded = (exclude ?? []).map(compile);
  return path => (!included || included.some(match => match(path))) && !excluded.some(match => match(path));
}
