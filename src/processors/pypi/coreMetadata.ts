/**
 * Reads the `Requires-Dist` fields of a core metadata file (`METADATA`,
 * `PKG-INFO`): email-style headers up to the first blank line, where a line
 * starting with whitespace continues the previous field.
 */
export function requiresDistFromMetadata(text: string): string[] {
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
  return fields.filter(([name]) => name === 'requires-dist').map(([, value]) => value);
}
