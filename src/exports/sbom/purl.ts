import { PackageURL } from 'packageurl-js';

/** Splits `a/b/c` at its last slash into namespace and name. */
function lastSegment(id: string): { namespace?: string; name: string } {
  const slash = id.lastIndexOf('/');
  return slash === -1 ? { name: id } : { namespace: id.slice(0, slash), name: id.slice(slash + 1) };
}

/**
 * The package URL (https://github.com/package-url/purl-spec) of a
 * mirrored version, by the processor that mirrors it. Ecosystems without a
 * purl type of their own (Helm charts, external processors) get
 * `pkg:generic/<processor>/<id>@<version>` (the id's slashes as the
 * purl's); release assets are GitHub's
 * (`pkg:github/<owner>/<repo>@<tag>`). Only the id and version go into
 * it, never an artifact's config (which may name an internal host).
 */
export function purlOf(processor: string, id: string, version: string): string {
  const make = (type: string, namespace: string | undefined, name: string, qualifiers?: Record<string, string>) =>
    new PackageURL(type, namespace, name, version, qualifiers, undefined).toString();
  switch (processor) {
    case 'npm':
    case 'composer':
    case 'golang':
    case 'go': {
      const { namespace, name } = lastSegment(id);
      return make(processor === 'go' ? 'golang' : processor, namespace, name);
    }
    case 'maven': {
      const [groupId, artifactId] = id.split(':');
      return make('maven', groupId, artifactId ?? groupId);
    }
    case 'pypi':
    case 'nuget':
    case 'cargo':
      return make(processor, undefined, id);
    case 'github-releases':
    case 'huggingface': {
      // `<owner>/<repo>` at a tag, a Hugging Face repository at a commit.
      const { namespace, name } = lastSegment(id);
      return make(processor === 'huggingface' ? 'huggingface' : 'github', namespace, name);
    }
    case 'oci': {
      // `pkg:oci/<name>?repository_url=<alias>/<path>&tag=<tag>`: a version is a tag
      // (or a digest), and purl's oci version is a digest.
      const { name } = lastSegment(id);
      const digest = /^sha256:[0-9a-f]{64}$/.test(version);
      return new PackageURL(
        'oci',
        undefined,
        name,
        digest ? version : undefined,
        { repository_url: id, ...(digest ? {} : { tag: version }) },
        undefined,
      ).toString();
    }
    default: {
      const { namespace, name } = lastSegment(id);
      return make('generic', namespace ? `${processor}/${namespace}` : processor, name);
    }
  }
}
