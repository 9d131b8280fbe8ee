import { artifactEntity, EntityContext } from './artifactEntity';
import { RootArtifact } from './BackpackArtifactsClient';

const BASE = 'https://backstage.example.com/api/backpack';
const ctx: EntityContext = {
  baseUrl: BASE,
  owner: 'group:default/platform',
  namespace: 'default',
  helmRepositories: new Map([['ingress-nginx', { alias: 'ingress-nginx', url: 'https://kubernetes.github.io/ingress-nginx' }]]),
};

const artifact = (processor: string, id: string, config: Record<string, unknown> = {}): RootArtifact => ({
  processor,
  id,
  status: 'ok',
  config,
});

const viewUrl = (a: RootArtifact) =>
  artifactEntity(a, ctx).metadata.links?.find(link => link.type === 'backpack-registry-view')?.url;

describe('artifactEntity', () => {
  it('describes a root artifact as a mirrored-package Resource', () => {
    const entity = artifactEntity(
      { ...artifact('npm', '@types/node'), filter: '^20.0.0', filterType: 'semver', status: 'error' },
      { ...ctx, system: 'system:default/mirror', namespace: 'mirror' },
    );
    expect(entity).toMatchObject({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        namespace: 'mirror',
        title: '@types/node',
        tags: ['backpack', 'npm'],
        annotations: {
          'backpack.io/processor': 'npm',
          'backpack.io/id': '@types/node',
          'backpack.io/filter': '^20.0.0',
          'backpack.io/filter-type': 'semver',
          'backpack.io/status': 'error',
          'backstage.io/managed-by-location': `url:${BASE}/artifacts/npm/%40types%2Fnode`,
          'backstage.io/managed-by-origin-location': `url:${BASE}/artifacts/npm/%40types%2Fnode`,
        },
      },
      spec: { type: 'mirrored-package', owner: 'group:default/platform', system: 'system:default/mirror' },
    });
    expect(entity.metadata.links?.[0]).toEqual({
      url: `${BASE}/artifacts/npm/%40types%2Fnode`,
      title: 'Backpack API (artifact)',
      type: 'backpack-api',
    });
  });

  it('links each ecosystem to its registry view', () => {
    expect(viewUrl(artifact('npm', '@types/node'))).toBe(`${BASE}/npm/@types/node`);
    expect(viewUrl(artifact('pypi', 'zope-interface'))).toBe(`${BASE}/pypi/simple/zope-interface/`);
    expect(viewUrl(artifact('maven', 'org.slf4j:slf4j-api'))).toBe(
      `${BASE}/maven/org/slf4j/slf4j-api/maven-metadata.xml`,
    );
    // Container clients find the OCI view at the origin.
    expect(viewUrl(artifact('oci', 'registry.local:5000/team/app'))).toBe(
      'https://backstage.example.com/v2/registry.local:5000/team/app/tags/list',
    );
    expect(viewUrl(artifact('oci', 'docker.io/library/nginx'))).toBe(
      'https://backstage.example.com/v2/docker.io/library/nginx/tags/list',
    );
    expect(viewUrl(artifact('nuget', 'Serilog.Sinks.Console'))).toBe(
      `${BASE}/nuget/v3-flatcontainer/serilog.sinks.console/index.json`,
    );
    expect(viewUrl(artifact('cargo', 'serde'))).toBe(`${BASE}/cargo/se/rd/serde`);
    expect(viewUrl(artifact('cargo', 'syn'))).toBe(`${BASE}/cargo/3/s/syn`);
    expect(viewUrl(artifact('go', 'github.com/Azure/go-autorest'))).toBe(
      `${BASE}/go/github.com/!azure/go-autorest/@v/list`,
    );
    expect(viewUrl(artifact('composer', 'monolog/monolog'))).toBe(`${BASE}/composer/p2/monolog/monolog.json`);
    expect(viewUrl(artifact('helm', 'ingress-nginx', { repository: 'ingress-nginx' }))).toBe(
      `${BASE}/helm/ingress-nginx/index.yaml`,
    );
    expect(viewUrl(artifact('helm', 'ingress-nginx', { repository: 'https://kubernetes.github.io/ingress-nginx/' }))).toBe(
      `${BASE}/helm/ingress-nginx/index.yaml`,
    );
  });

  it('gives no view link where there is no view to point at', () => {
    // An external processor's ecosystem, a Helm repository no longer configured, an id a view cannot place.
    expect(viewUrl(artifact('terraform', 'hashicorp/aws'))).toBeUndefined();
    expect(viewUrl(artifact('helm', 'gone', { repository: 'removed-repo' }))).toBeUndefined();
    expect(viewUrl(artifact('maven', 'not-a-maven-id'))).toBeUndefined();
    expect(viewUrl(artifact('constructor', 'x'))).toBeUndefined();
    expect(artifactEntity(artifact('terraform', 'hashicorp/aws'), ctx).metadata.links).toHaveLength(1);
  });

  it('leaves out tags a processor name cannot make', () => {
    expect(artifactEntity(artifact('My_Processor', 'x'), ctx).metadata.tags).toEqual(['backpack']);
  });
});
