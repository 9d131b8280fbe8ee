import { FileIntegrity } from '../../types';
import { ProcessorFile } from '../types';
import { parseWheelFilename, WheelTargets, wheelMatcher } from './wheelTags';

/** A file of a release as PyPI's JSON API describes it (the simple API's are converted). */
export interface PypiJsonFile {
  filename: string;
  url: string;
  packagetype?: string;
  digests?: { sha256?: string; md5?: string };
  size?: number;
  yanked?: boolean;
  yanked_reason?: string | null;
  upload_time_iso_8601?: string;
  /** The index serves the file's core metadata at `<url>.metadata` (PEP 658). */
  coreMetadata?: boolean;
}

/** Which distribution files of a release to mirror. */
export interface FileSelection extends WheelTargets {
  includeSdist: boolean;
  includeYanked: boolean;
  /** URL of the document listing the files; relative file URLs resolve against it. */
  baseUrl: string;
}

function integrityOf(file: PypiJsonFile): FileIntegrity | undefined {
  const sha256 = file.digests?.sha256;
  if (sha256 && /^[0-9a-fA-F]{64}$/.test(sha256)) {
    return { algorithm: 'sha256', digest: sha256.toLowerCase() };
  }
  const md5 = file.digests?.md5;
  if (md5 && /^[0-9a-fA-F]{32}$/.test(md5)) return { algorithm: 'md5', digest: md5.toLowerCase() };
  return undefined;
}

function isSdist(file: PypiJsonFile): boolean {
  if (file.packagetype) return file.packagetype === 'sdist';
  return /\.(tar\.gz|zip)$/.test(file.filename);
}

/**
 * Picks the wheels that install on some target and, unless disabled, the
 * source distributions. Eggs and Windows installers are left out: pip
 * installs neither.
 */
export function selectDistributionFiles(
  files: readonly PypiJsonFile[],
  selection: FileSelection,
): ProcessorFile[] {
  const matches = wheelMatcher(selection);
  const selected: ProcessorFile[] = [];
  for (const file of files) {
    if (!file?.filename || !file.url) continue;
    if (file.yanked && !selection.includeYanked) continue;
    const wheel = parseWheelFilename(file.filename);
    if (wheel) {
      if (!matches(wheel)) continue;
    } else if (!isSdist(file) || !selection.includeSdist) {
      continue;
    }
    const integrity = integrityOf(file);
    selected.push({
      name: file.filename,
      uri: new URL(file.url, selection.baseUrl).href,
      path: `packages/${file.filename}`,
      ...(integrity ? { integrity } : {}),
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
    });
  }
  return selected;
}
