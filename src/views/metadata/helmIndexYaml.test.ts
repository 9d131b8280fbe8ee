import { parse } from 'yaml';
import { bundleRepositoryFolder } from '../../exports/layouts/helmLayout';
import { parseUpstreamYaml } from '../../processors/helm/helmYaml';
import { helmIndexChart, helmIndexYaml } from './helmIndexYaml';

describe('helmIndexYaml', () => {
  const chartYaml = parseUpstreamYaml(
    [
      'apiVersion: v2',
      'name: claimed-name',
      'version: 9.9.9',
      'appVersion: 1.10',
      'deprecated: true',
      'keywords: [a, b]',
      'maintainers: [{ name: Ann, email: ann@example.com, extra: dropped }]',
      'annotations: { artifacthub.io/images: "- image: nginx:1.27" }',
      'dependencies: [{ name: lib, version: ^1.0.0, repository: "@stable", enabled: true }]',
      'templates: not a chart field',
    ].join('\n'),
    'Chart.yaml',
  ) as Record<string, unknown>;

  it("writes an index entry from the chart's own metadata, typed as Helm reads it, with the mirror's name, version, URL and digest", () => {
    const chart = helmIndexChart('web', '3.1.0', chartYaml, { integrity: { algorithm: 'sha256', digest: 'ab'.repeat(32) } }, {
      url: '../charts/web/3.1.0/web-3.1.0.tgz',
      created: '2026-11-01T00:00:00.000Z',
    });
    const index = parse(helmIndexYaml([chart], '2026-11-02T00:00:00.000Z'));
    expect(index).toEqual({
      apiVersion: 'v1',
      generated: '2026-11-02T00:00:00.000Z',
      entries: {
        web: [
          {
            apiVersion: 'v2',
            name: 'web',
            version: '3.1.0',
            appVersion: '1.10',
            deprecated: true,
            keywords: ['a', 'b'],
            maintainers: [{ name: 'Ann', email: 'ann@example.com' }],
            annotations: { 'artifacthub.io/images': '- image: nginx:1.27' },
            dependencies: [{ name: 'lib', version: '^1.0.0', repository: '@stable' }],
            urls: ['../charts/web/3.1.0/web-3.1.0.tgz'],
            digest: 'ab'.repeat(32),
            created: '2026-11-01T00:00:00.000Z',
          },
        ],
      },
    });
  });

  it('names the digest of the stored bytes when the upstream declared none', () => {
    expect(helmIndexChart('x', '1.0.0', {}, { sha256: 'cd'.repeat(32) }, { url: 'u' }).digest).toBe('cd'.repeat(32));
  });
});

describe('bundleRepositoryFolder', () => {
  it('is the alias, or a folder named after a URL, never a reserved or unsafe name', () => {
    expect(bundleRepositoryFolder('stable')).toBe('stable');
    expect(bundleRepositoryFolder('https://Charts.Example.com/bitnami/')).toBe('charts.example.com-bitnami');
    expect(bundleRepositoryFolder('../..')).toBeUndefined();
    expect(bundleRepositoryFolder('charts')).toBeUndefined();
    expect(bundleRepositoryFolder(42)).toBeUndefined();
  });
});
