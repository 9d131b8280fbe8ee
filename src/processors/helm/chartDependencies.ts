import semver from 'semver';
import { findAllowedUpstream } from '../../upstream/upstreamBaseUrl';
import { ProcessorDependency } from '../types';
import { HelmRepository } from './helmConfig';
import { asList, asMap, asString } from './helmYaml';
import { CHART_NAME } from './helmIndex';
import { helmVersionScheme } from './helmVersionScheme';
import { OciTargets } from './ociTargets';

/** A full version, which names one tag of a chart in an OCI registry. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * A Helm constraint for a chart in an OCI registry, in the `oci`
 * processor's range language, where anything that looks like a tag is one:
 * a full version is its tag (`+` written `_`, as Helm pushes it), and
 * anything else the semver range it means (`1.x` → `>=1.0.0 <2.0.0-0`).
 */
export function ociChartRange(constraint: string): string {
  const spaced = constraint.replace(/\s*,\s*/g, ' ').trim();
  if (EXACT_VERSION.test(spaced)) return spaced.replace('+', '_');
  return semver.validRange(spaced) ?? spaced;
}

/**
 * The `dependencies` of a Chart.yaml as dependencies of the mirror:
 *
 * - a chart repository URL or an `@name` / `alias:name` reference that a
 *   configured repository answers → a `helm` artifact of that repository,
 *   the constraint as its range;
 * - `oci://host/path` → an `oci` artifact `<alias>/<path>/<name>` (a chart
 *   stored as an OCI artifact; its tags are its versions);
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
    if (/^oci:\/\//i.test(repository)) {
      const target = targets.chart(repository, name);
      result.push(
        target.ok
          ? { processor: 'oci', ...base, id: target.id, range: ociChartRange(version) }
          : { processor: 'oci', ...base, id: name.slice(0, 512), unresolvable: `chart '${repository}/${name}': ${target.reason}` },
      );
      continue;
    }
    if (!CHART_NAME.test(name)) {
      result.push(refuse(`'${name.slice(0, 100)}' is not a chart name`));
      continue;
    }
    if (!helmVersionScheme.isValidRange(version)) {
      result.push(refuse(`'${version.slice(0, 100)}' is not a semver constraint`));
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
