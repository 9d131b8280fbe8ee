/**
 * Reads the `Requires-Dist` fields of a core metadata file (`METADATA`,
 * `PKG-INFO`): email-style headers up to the first blank line, where a line
 * starting with whitespace continues the previous field.
 */
export function requiresDistFromMetadata(text: string): string[] {
  return readCoreMetadata(text).requiresDist;
}

/** What Backpack reads of a release's metadata: its dependencies and its license. */
export interface ReleaseMetadata {
  requiresDist: string[];
  /** `License-Expression` (PEP 639), else a one-line `License`. */
  license?: string;
}

/** The license of a release as its metadata states it: an expression, else a short one-line `License`. */
export function licenseOf(expression: unknown, license: unknown): string | undefined {
  if (typeof expression === 'string' && expression.trim()) return expression.trim();
  // `License` is free text, often the whole license: only a short line may be an identifier.
  if (typeof license === 'string' && license.trim() && license.length <= 200 && !/[\r\n]/.test(license.trim())) {
    return license.trim();
  }
  return undefined;
}

/** Reads the fields of a core metadata file Backpack uses. */
export function readCoreMetadata(text: string): ReleaseMetadata {
  const fields: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') break;
    if (/^\s/.test(line) && fields.length) {
      fields[fields.length - 1][1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const field = (name: string) => fields.find(([n]) => n === name)?.[1];
  const license = licenseOf(field('license-expression'), field('license'));
  return {
    requiresDist: fields.filter(([name]) => name === 'requires-dist').map(([, value]) => value),
    ...(license ? { license } : {}),
  };
}
