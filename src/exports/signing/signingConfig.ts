import { Config } from '@backstage/config';
import { asError } from '../../lib/errorMessage';
import { readSigningKey, SigningKey } from './signingKey';

/**
 * `backpack.exports.signing`: the key bundles' manifests are signed with,
 * if any. A key that cannot be used stops the plugin at startup, with a
 * message that never quotes the key.
 */
export function readSigningConfig(exportsConfig?: Config): SigningKey | undefined {
  const privateKey = exportsConfig?.getOptionalString('signing.privateKey');
  if (privateKey === undefined) return undefined;
  try {
    return readSigningKey(privateKey);
  } catch (error) {
    throw new Error(`backpack.exports.signing.privateKey: ${asError(error).message}`);
  }
}
