import { InputError } from '@backstage/errors';

/** A registry host name as Terraform writes it in provider addresses: lower-case DNS labels, an optional port. */
const HOSTNAME = /^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$/;
/** A namespace or type: letters, digits and dashes, not at either end (Terraform's provider address parts). */
const PART = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
/** A platform as the registry names it: `<os>_<arch>`. */
export const PLATFORM = /^[a-z0-9]{1,32}_[a-z0-9]{1,32}$/;

/** The parts of a provider address, `<hostname>/<namespace>/<type>`. */
export interface ProviderAddress {
  hostname: string;
  namespace: string;
  type: string;
}

/** Whether a string is a registry host name (lower-case, optional port). */
export function isProviderHostname(value: string): boolean {
  return HOSTNAME.test(value);
}

/** Whether a string is a namespace or type of a provider address (lower-case). */
export function isProviderPart(value: string): boolean {
  return PART.test(value);
}

/**
 * A provider address from an artifact id, lower-cased as Terraform
 * normalises them; undefined when it is not one.
 */
export function parseProviderAddress(id: string): ProviderAddress | undefined {
  const parts = id.toLowerCase().split('/');
  if (parts.length !== 3) return undefined;
  const [hostname, namespace, type] = parts;
  if (!isProviderHostname(hostname) || !isProviderPart(namespace) || !isProviderPart(type)) return undefined;
  return { hostname, namespace, type };
}

/** {@link parseProviderAddress} or an InputError naming `id`. */
export function checkedProviderAddress(id: string): ProviderAddress {
  const address = parseProviderAddress(id);
  if (!address) {
    throw new InputError(
      `id: '${id}' is not a provider address <hostname>/<namespace>/<type> such as registry.terraform.io/hashicorp/random`,
    );
  }
  return address;
}

/** The artifact id of a provider address. */
export function providerId(address: ProviderAddress): string {
  return `${address.hostname}/${address.namespace}/${address.type}`;
}

/**
 * The name Terraform gives a provider package, which its filesystem
 * mirrors require: `terraform-provider-<type>_<version>_<os>_<arch>.zip`.
 */
export function providerPackageName(type: string, version: string, platform: string): string {
  return `terraform-provider-${type}_${version}_${platform}.zip`;
}

/** The names Backpack stores a version's checksums and their signature under. */
export function providerSumsNames(type: string, version: string): { sums: string; signature: string } {
  const sums = `terraform-provider-${type}_${version}_SHA256SUMS`;
  return { sums, signature: `${sums}.sig` };
}

/** The platform of a package name of {@link providerPackageName}, or undefined. */
export function platformOfPackage(type: string, version: string, name: string): string | undefined {
  const prefix = `terraform-provider-${type}_${version}_`;
  if (!name.startsWith(prefix) || !name.endsWith('.zip')) return undefined;
  const platform = name.slice(prefix.length, -'.zip'.length);
  return PLATFORM.test(platform) ? platform : undefined;
}
