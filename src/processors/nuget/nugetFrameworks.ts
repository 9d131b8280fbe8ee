/**
 * Target frameworks, as far as choosing a package's dependency group goes:
 * NuGet gives a project the group of the "nearest" compatible framework,
 * so the closure for a set of project frameworks is the union of the
 * nearest group of each.
 */

/** A framework family and version; `any` is a group with no framework. */
export interface TargetFramework {
  family: 'netcore' | 'netframework' | 'netstandard' | 'any';
  version: number[];
}

/** A sensible modern set of project frameworks, the processor's default. */
export const DEFAULT_NUGET_FRAMEWORKS = ['net8.0', 'net6.0', 'netstandard2.0', 'net48'];

function versionOf(text: string): number[] | undefined {
  if (!/^\d+(\.\d+)*$/.test(text)) return undefined;
  return text.split('.').map(Number);
}

/**
 * Parses a short (`net8.0`, `net472`, `netstandard2.0`, `netcoreapp3.1`)
 * or long (`.NETStandard2.0`, `.NETFramework4.7.2`, `.NETCoreApp3.1`) name;
 * a platform suffix (`net8.0-windows`) is ignored. Undefined when unknown.
 */
export function parseTargetFramework(name: string | undefined): TargetFramework | undefined {
  const text = (name ?? '').trim().toLowerCase().replace(/-.*$/, '');
  if (text === '' || text === 'any' || text === 'agnostic') return { family: 'any', version: [] };
  let match = /^\.?netstandard(\d+(?:\.\d+)*)$/.exec(text);
  if (match) return versionOf(match[1]) && { family: 'netstandard', version: versionOf(match[1])! };
  match = /^(?:\.netcoreapp|netcoreapp)(\d+(?:\.\d+)*)$/.exec(text);
  if (match) return versionOf(match[1]) && { family: 'netcore', version: versionOf(match[1])! };
  match = /^\.netframework(\d+(?:\.\d+)*)$/.exec(text);
  if (match) return versionOf(match[1]) && { family: 'netframework', version: versionOf(match[1])! };
  match = /^net(\d+\.\d+)$/.exec(text);
  // net5.0 and later are .NET (Core); `net472` without dots is the .NET Framework.
  if (match) return { family: 'netcore', version: versionOf(match[1])! };
  match = /^net(\d)(\d)(\d)?$/.exec(text);
  if (match) {
    return { family: 'netframework', version: [match[1], match[2], match[3] ?? '0'].map(Number) };
  }
  return undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** The highest .NET Standard a project framework can use. */
function netstandardSupportedBy(project: TargetFramework): number[] | undefined {
  const v = project.version;
  switch (project.family) {
    case 'netstandard':
      return v;
    case 'netcore':
      if (compareVersions(v, [3, 0]) >= 0) return [2, 1];
      if (compareVersions(v, [2, 0]) >= 0) return [2, 0];
      return [1, 6];
    case 'netframework':
      if (compareVersions(v, [4, 6, 1]) >= 0) return [2, 0];
      if (compareVersions(v, [4, 6]) >= 0) return [1, 3];
      if (compareVersions(v, [4, 5, 1]) >= 0) return [1, 2];
      if (compareVersions(v, [4, 5]) >= 0) return [1, 1];
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Which of a package's dependency groups a project targeting `project`
 * gets: the same family's highest version not above the project's, else
 * the highest usable .NET Standard, else the framework-less group. -1
 * when none fits (the package's dependencies then do not apply).
 */
export function nearestGroup(project: TargetFramework, groups: Array<TargetFramework | undefined>): number {
  let best = -1;
  let bestRank = -1;
  let bestVersion: number[] = [];
  const standard = netstandardSupportedBy(project);
  groups.forEach((group, index) => {
    if (!group) return;
    let rank = -1;
    if (group.family === 'any') rank = 0;
    else if (group.family === project.family && compareVersions(group.version, project.version) <= 0) rank = 2;
    else if (group.family === 'netstandard' && standard && compareVersions(group.version, standard) <= 0) rank = 1;
    if (rank < 0) return;
    if (rank > bestRank || (rank === bestRank && compareVersions(group.version, bestVersion) > 0)) {
      best = index;
      bestRank = rank;
      bestVersion = group.version;
    }
  });
  return best;
}
