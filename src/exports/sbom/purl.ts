import { PackageURL } from 'packageurl-js';

/** Splits `a/b/c` at its last slash into namespace and name. */
function lastSegment(id: string): { namespace?: string; name: string } {
  const slash = id.lastIndexOf('/');
  return slash === -1 ? { name: id } : { namespace: id.slice(0, slash), name: id.slice(slash + 1) };
}

/**
 * A package URL as packageurl-js writes it. A version its type's rules
 * refuse (Go's `v` + not semver, which upstreams do publish) is still
 * named, percent-encoded: an SBOM lists what was mirrored as it is called.
 */
function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers?: Record<string, string>,
): string {
  try {
    return new PackageURL(type, namespace, name, version, qualifiers, undefined).toString();
  } catch (error) {
    if (version === undefined) throw error;
    const text = new PackageURL(type, namespace, name, undefined, qualifiers, undefined).toString();
    const end = text.search(/[?#]/);
    const at = end === -1 ? text.length : end;
    return `${text.slice(0, at)}@${encodeURIComponent(version)}${text.slice(at)}`;
  }
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
    purl(type, namespace, name, version, qualifiers);
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
      return purl('oci', undefined, name, digest ? version : undefined, {
        repository_url: id,
        ...(digest ? {} : { tag: version }),
      });
    }
    default: {
      const { namespace, name } = lastSegment(id);
      return make('generic', namespace ? `${processor}/${namespace}` : processor, name);
    }
  }
}
