import { findAllowedUpstream } from '../../upstream/upstreamBaseUrl';
import { ProcessorDependency } from '../types';
import { HelmRepository } from './helmConfig';
import { asList, asMap, asString } from './helmYaml';
import { CHART_NAME } from './helmIndex';
import { helmVersionScheme } from './helmVersionScheme';
import { OciTargets } from './ociTargets';

/**
 * The `dependencies` of a Chart.yaml as dependencies of the mirror:
 *
 * - a chart repository URL or an `@name` / `alias:name` reference that a
 *   configured repository answers → a `helm` artifact of that repository,
 *   the constraint as its range;
 * - `oci://host/path` of a configured OCI registry → a `helm` artifact
 *   from there (a chart stored as an OCI artifact, whose bytes the helm
 *   processor then names as the `oci` artifact `<alias>/<path>/<name>`);
 * - no repository or `file://` → nothing: such subcharts travel inside the
 *   chart archive (`charts/`);
 * - anything else → unresolvable, saying which config key to set.
 *
 * An `alias` renames the subchart inside its parent only; the chart
 * mirrored is `name`.
 */
export function chartDependencies(
  chartYaml: Record<string, unknown>,
  repositories: ReadonlyMap<string, HelmRepository>,
  targets: OciTargets,
): ProcessorDependency[] {
  const result: ProcessorDependency[] = [];
  for (const raw of asList(chartYaml.dependencies)) {
    const entry = asMap(raw);
    const name = asString(entry?.name)?.trim();
    if (!entry || !name) continue;
    const repository = asString(entry.repository)?.trim() ?? '';
    const version = asString(entry.version)?.trim() || '*';
    const alias = asString(entry.alias)?.trim();
    const source = `Chart.yaml dependencies${alias ? ` (as ${alias})` : ''}`;
    if (repository === '' || /^file:\/\//i.test(repository)) continue;
    const base = { id: name, range: version, kind: 'runtime' as const, source };
    const refuse = (reason: string): ProcessorDependency => ({
      processor: 'helm',
      ...base,
      id: name.slice(0, 512),
      unresolvable: reason,
    });
    if (!CHART_NAME.test(name)) {
      result.push(refuse(`'${name.slice(0, 100)}' is not a chart name`));
      continue;
    }
    if (!helmVersionScheme.isValidRange(version)) {
      result.push(refuse(`'${version.slice(0, 100)}' is not a semver constraint`));
      continue;
    }
    if (/^oci:\/\//i.test(repository)) {
      // A chart in an OCI registry: a helm artifact too, so its own dependencies and images are followed.
      const target = targets.chart(repository, name);
      result.push(
        target.ok
          ? { processor: 'helm', ...base, config: { repository: repository.replace(/\/+$/, '') } }
          : refuse(`chart '${repository.slice(0, 200)}/${name.slice(0, 100)}': ${target.reason}`),
      );
      continue;
    }
    const named = /^(?:@|alias:)(.+)$/.exec(repository);
    let found: HelmRepository | undefined;
    if (named) {
      found = repositories.get(named[1]);
      if (!found) {
        result.push(refuse(`repository '${repository}' names no alias of backpack.processors.helm.repositories`));
        continue;
      }
    } else if (/^https?:\/\//i.test(repository)) {
      const url = findAllowedUpstream(repository, [...repositories.values()].map(r => r.url));
      found = url === undefined ? undefined : [...repositories.values()].find(r => r.url === url);
      if (!found) {
        result.push(
          refuse(`repository '${repository.slice(0, 200)}' is not configured in backpack.processors.helm.repositories`),
        );
        continue;
      }
    } else {
      result.push(refuse(`repository '${repository.slice(0, 200)}' is neither a URL, oci://, @alias nor file://`));
      continue;
    }
    result.push({ processor: 'helm', ...base, config: { repository: found.alias } });
  }
  return result;
}
