import { packChart } from '../../__testUtils__/helmCharts';
import { DEFAULT_PARSING_LIMITS } from '../../upstream/limits';
import { readChartFiles } from './chartArchive';

describe('readChartFiles', () => {
  const limits = { ...DEFAULT_PARSING_LIMITS.tarball, maxFileBytes: 4096 };

  it("reads the chart's own Chart.yaml and values.yaml, not a vendored subchart's", async () => {
    const archive = packChart({
      name: 'top',
      version: '1.0.0',
      values: { image: 'a:1' },
      files: { 'charts/sub/Chart.yaml': 'name: sub\nversion: 9.9.9\n', 'charts/sub/values.yaml': 'image: b:2\n' },
    });
    const files = await readChartFiles(archive, 'top', limits);
    expect(files.chart).toMatchObject({ name: 'top', version: '1.0.0' });
    expect(files.values).toEqual({ image: 'a:1' });
  });

  it('reads the subcharts the archive carries, unpacked and packaged, when asked', async () => {
    const packaged = packChart({ name: 'redis', version: '17.3.0', appVersion: '7.0.5', values: { image: { repository: 'bitnami/redis', tag: '' } } });
    const archive = packChart({
      name: 'top',
      version: '1.0.0',
      files: {
        'charts/redis-17.3.0.tgz': packaged,
        'charts/sub/Chart.yaml': 'name: sub\nversion: 0.1.0\nannotations:\n  artifacthub.io/images: "- image: busybox:1.36"\n',
      },
    });
    const files = await readChartFiles(archive, 'top', limits, { subcharts: true });
    expect(files.subcharts.map(s => [s.path, s.chart?.name])).toEqual([
      ['charts/redis-17.3.0.tgz', 'redis'],
      ['charts/sub', 'sub'],
    ]);
    expect((await readChartFiles(archive, 'top', limits)).subcharts).toEqual([]);
  });

  it('keeps scalars as written (1.10 stays 1.10), bounds aliases and refuses archives without Chart.yaml', async () => {
    const archive = packChart({ name: 'x', version: '1.10', values: { tag: '1.10' } });
    expect((await readChartFiles(archive, 'x', limits)).chart.version).toBe('1.10');
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 12 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(i === 0 ? '*a' : `*l${i}`).join(',')}]`).join('\n')}\n`;
    const bombed = packChart({ name: 'x', version: '1.0.0', files: { 'values.yaml': bomb } });
    expect((await readChartFiles(bombed, 'x', limits)).values).toBeUndefined();
    await expect(readChartFiles(archive, 'other', limits)).rejects.toThrow(/no readable <chart>\/Chart\.yaml/);
    const big = packChart({ name: 'x', version: '1.0.0', files: { 'Chart.yaml': `name: x\nversion: 1.0.0\ndescription: ${'d'.repeat(5000)}\n` } });
    await expect(readChartFiles(big, 'x', limits)).rejects.toThrow(/no readable/);
  });
});
