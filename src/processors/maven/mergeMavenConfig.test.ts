import { mergeMavenConfig } from './mergeMavenConfig';

describe('mergeMavenConfig', () => {
  it('takes the union of classifiers', () => {
    expect(mergeMavenConfig({}, { classifiers: ['linux-x86_64'] })).toEqual({
      classifiers: ['linux-x86_64'],
    });
    expect(
      mergeMavenConfig({ classifiers: ['linux-x86_64'] }, { classifiers: ['linux-aarch_64'] }),
    ).toEqual({ classifiers: ['linux-aarch_64', 'linux-x86_64'] });
  });

  it('answers the first config unchanged when the second adds nothing', () => {
    const a = { classifiers: ['sources', 'linux-x86_64'], repository: 'http://a.test' };
    expect(mergeMavenConfig(a, { classifiers: ['sources'], repository: 'http://b.test' })).toEqual(a);
    expect(mergeMavenConfig(a, {})).toEqual(a);
  });
});
