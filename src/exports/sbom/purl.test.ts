import { PackageURL } from 'packageurl-js';
import { purlOf } from './purl';

describe('purlOf', () => {
  it.each([
    ['npm', '@bp/app', '1.0.0', 'pkg:npm/%40bp/app@1.0.0'],
    ['npm', 'left-pad', '1.3.0', 'pkg:npm/left-pad@1.3.0'],
    ['pypi', 'demo-pkg', '1.0', 'pkg:pypi/demo-pkg@1.0'],
    ['maven', 'org.example:demo', '1.0', 'pkg:maven/org.example/demo@1.0'],
    ['nuget', 'Newtonsoft.Json', '13.0.3', 'pkg:nuget/Newtonsoft.Json@13.0.3'],
    ['cargo', 'serde', '1.0.0', 'pkg:cargo/serde@1.0.0'],
    ['go', 'github.com/pkg/errors', 'v0.9.1', 'pkg:golang/github.com/pkg/errors@v0.9.1'],
    ['composer', 'monolog/monolog', '3.5.0', 'pkg:composer/monolog/monolog@3.5.0'],
    ['oci', 'docker.io/library/nginx', '1.25', 'pkg:oci/nginx?repository_url=docker.io%2Flibrary%2Fnginx&tag=1.25'],
    ['helm', 'nginx', '15.0.0', 'pkg:generic/helm/nginx@15.0.0'],
    ['github-releases', 'cli/cli', 'v2.62.0', 'pkg:github/cli/cli@v2.62.0'],
    ['huggingface', 'org/model', 'abc123', 'pkg:huggingface/org/model@abc123'],
    ['terraform', 'hashicorp/aws', '5.0.0', 'pkg:generic/terraform/hashicorp/aws@5.0.0'],
  ])('%s %s@%s is %s', (processor, id, version, expected) => {
    const purl = purlOf(processor, id, version);
    expect(purl).toBe(expected);
    // And it reads back as what it names.
    expect(PackageURL.fromString(purl).name).toBe(id.split(/[/:]/).pop());
  });

  it('names a version its type refuses as it is, percent-encoded', () => {
    // packageurl-js refuses Go versions that start with v but are not semver.
    expect(purlOf('go', 'example.com/lib', 'v1.2')).toBe('pkg:golang/example.com/lib@v1.2');
    expect(purlOf('go', 'example.com/lib', 'v1+x y')).toBe('pkg:golang/example.com/lib@v1%2Bx%20y');
  });

  it('names an OCI image pinned by digest by its digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(purlOf('oci', 'ghcr.io/org/app', digest)).toBe(
      `pkg:oci/app@sha256:${'a'.repeat(64)}?repository_url=ghcr.io%2Forg%2Fapp`,
    );
  });
});
