import { ConfigReader } from '@backstage/config';
import { mergeOciConfig, readOciProcessorSettings } from './ociConfig';

const read = (oci: object) => readOciProcessorSettings(new ConfigReader(oci));

describe('readOciProcessorSettings', () => {
  it('has Docker Hub, GHCR, Quay and registry.k8s.io built in, public-only', () => {
    const { registries } = read({});
    expect([...registries.keys()]).toEqual(['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io']);
    expect(registries.get('docker.io')).toMatchObject({ origin: 'https://registry-1.docker.io', trust: 'default' });
  });

  it('reads configured registries, an alias a config key cannot spell, and a namespace prefix', () => {
    const { registries } = read({
      registries: {
        local: { url: 'http://127.0.0.1:5000/', hosts: ['cdn.example:8443'] },
        hub: { alias: 'docker.io', url: 'https://registry-1.docker.io', username: 'me', password: 'pat' },
        k8s: { alias: 'registry.k8s.io', url: 'https://us-docker.pkg.dev/k8s-artifacts-prod/images' },
      },
    });
    expect(registries.get('local')).toMatchObject({ origin: 'http://127.0.0.1:5000', namespace: '', hosts: ['cdn.example:8443'], trust: 'operator' });
    expect(registries.get('docker.io')).toMatchObject({ username: 'me', password: 'pat', trust: 'operator' });
    expect(registries.get('registry.k8s.io')).toMatchObject({ origin: 'https://us-docker.pkg.dev', namespace: 'k8s-artifacts-prod/images' });
  });

  it.each([
    [{ registries: { Local: { url: 'http://r.test' } } }, /the alias 'Local' is not one lower-case repository name component/],
    [{ registries: { x: { alias: 'a/b', url: 'http://r.test' } } }, /the alias 'a\/b'/],
    [{ registries: { x: { url: 'ftp://r.test' } } }, /registries\.x\.url: must be an http\(s\) URL/],
    [{ registries: { x: { url: 'http://r.test/Up/Per' } } }, /is not a repository path prefix/],
    [{ registries: { x: { url: 'http://r.test', username: 'u' } } }, /username and password go together/],
    [{ platforms: ['linux'] }, /platforms: 'linux' is not os\/architecture/],
    [{ maxManifestBytes: -1 }, /maxManifestBytes: must be a positive integer/],
  ])('refuses %j', (config, message) => {
    expect(() => read(config)).toThrow(message);
  });
});

describe('mergeOciConfig', () => {
  it('widens: platforms united (none named: every one), referrers and foreign layers if either wants them', () => {
    expect(mergeOciConfig({ platforms: ['linux/arm64'] }, { platforms: ['linux/amd64'] })).toEqual({
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(mergeOciConfig({ platforms: ['linux/arm64'] }, {})).toEqual({});
    expect(mergeOciConfig({ referrers: false }, { referrers: false, includeForeignLayers: true })).toEqual({
      referrers: false,
      includeForeignLayers: true,
    });
    const a = { platforms: ['linux/s390x'], referrers: false };
    const b = { referrers: true };
    expect(mergeOciConfig(a, b)).toEqual(mergeOciConfig(b, a));
  });
});
