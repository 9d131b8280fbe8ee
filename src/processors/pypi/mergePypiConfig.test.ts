import { mergePypiConfig } from './mergePypiConfig';

describe('mergePypiConfig', () => {
  it('takes the union of extras', () => {
    expect(mergePypiConfig({}, { extras: ['socks'] })).toEqual({ extras: ['socks'] });
    expect(mergePypiConfig({ extras: ['socks'] }, { extras: ['fast', 'socks'] })).toEqual({
      extras: ['fast', 'socks'],
    });
  });

  it('keeps every target where one side names none, and unites named ones', () => {
    expect(mergePypiConfig({ pythonVersions: ['3.11'] }, {})).toEqual({});
    expect(
      mergePypiConfig(
        { pythonVersions: ['3.12'], platforms: ['win_amd64'] },
        { pythonVersions: ['3.11'], platforms: ['win_amd64'] },
      ),
    ).toEqual({ pythonVersions: ['3.11', '3.12'], platforms: ['win_amd64'] });
  });

  it('includes files either side includes', () => {
    expect(mergePypiConfig({ includeSdist: false }, {})).toEqual({ includeSdist: true });
    expect(mergePypiConfig({ includeYanked: true }, { includeYanked: false })).toEqual({
      includeYanked: true,
    });
    expect(mergePypiConfig({ includeSdist: false }, { includeSdist: false })).toEqual({
      includeSdist: false,
    });
  });

  it('answers the first config unchanged, order and all, when the second adds nothing', () => {
    const a = { pythonVersions: ['3.12', '3.11'], extras: ['socks'], index: 'http://a.test' };
    expect(mergePypiConfig(a, { pythonVersions: ['3.11'], index: 'http://b.test' })).toEqual(a);
    expect(mergePypiConfig(a, a)).toEqual(a);
  });
});
