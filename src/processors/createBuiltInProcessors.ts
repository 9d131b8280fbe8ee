import { Config } from '@backstage/config';
import { readParsingLimits } from '../upstream/limits';
import { createNpmProcessor } from './npm/NpmProcessor';
import { createMavenProcessor } from './maven';
import { createPypiProcessor } from './pypi';
import { BackpackProcessor } from './types';
import { UpstreamClient } from '../upstream/UpstreamClient';

/**
 * The processors that ship with Backpack, each configured from
 * `backpack.processors.<name>` and left out when `enabled: false`. Each
 * registers its upstream hosts in the client's host policy, as the
 * operator's when configured and as public-only defaults otherwise.
 */
export function createBuiltInProcessors(
  config: Config,
  upstream: UpstreamClient,
): BackpackProcessor[] {
  const section = (name: string) =>
    config.getOptionalConfig(`backpack.processors.${name}`);
  const enabled = (name: string) =>
    section(name)?.getOptionalBoolean('enabled') ?? true;

  const processors: BackpackProcessor[] = [];
  if (enabled('npm')) {
    processors.push(createNpmProcessor({ config: section('npm'), upstream }));
  }
  if (enabled('pypi')) {
    processors.push(createPypiProcessor({ config: section('pypi'), upstream }));
  }
  if (enabled('maven')) {
    processors.push(
      createMavenProcessor({
        config: section('maven'),
        upstream,
        limits: readParsingLimits(config),
      }),
    );
  }
  return processors;
}
