import { DiscoveryResult, ProcessorVersion } from '../types';

/** The result of a discovery that was not answered 304; throws otherwise. */
export function fresh(result: DiscoveryResult) {
  if (result.notModified) throw new Error('expected a fresh discovery');
  return result;
}

/** One discovered version; throws when it is missing. */
export function version(result: DiscoveryResult, v: string): ProcessorVersion {
  const found = fresh(result).versions.find(x => x.version === v);
  if (!found) throw new Error(`version ${v} not discovered`);
  return found;
}
