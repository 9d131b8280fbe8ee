import { InputError } from '@backstage/errors';
import { OciRepository } from '../oci/OciRepository';
import { digestHex } from '../oci/ociNames';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { redactUrl } from '../../upstream/urls';
import { Descriptor, sha256Digest } from '../oci/ociManifest';
import { DiscoveryValidators } from '../types';
import { helmVersionScheme } from './helmVersionScheme';
import { OciTargets } from './ociTargets';

/** The layer of a Helm chart pushed to an OCI registry (`helm push`), and the one of older Helm releases. */
const CHART_LAYERS = ['application/vnd.cncf.helm.chart.content.v1.tar+gzip', 'application/tar+gzip'];

/** A chart in an OCI registry: the `oci` artifact that holds its bytes, and where to read it. */
export interface OciChart {
  /** The `oci` artifact id, `<alias>/<path>/<chart>`. */
  id: string;
  repository: OciRepository;
}

/** A chart version's tag: Helm pushes `+` (build metadata, not allowed in tags) as `_`. */
export const chartTag = (version: string) => version.replace(/\+/g, '_');

/**
 * Charts stored as OCI artifacts (`oci://host/path`, Helm 3.8+): their
 * versions are the repository's tags that read as chart versions, and a
 * version's archive is the chart layer of its manifest, read through the
 * OCI registry client (its authentication included) and checked against
 * the layer's digest. The bytes themselves are mirrored by the `oci`
 * processor, as the artifact this names.
 */
export class OciCharts {
  constructor(
    private readonly targets: OciTargets,
    private readonly upstream: UpstreamClient,
    private readonly maxChartBytes: number,
  ) {}

  /** The chart `chart` of `oci://…`; an InputError naming `config.repository` when no registry is configured for it. */
  chart(repository: string, chart: string): OciChart {
    const target = this.targets.chart(repository, chart);
    if (!target.ok) throw new InputError(`config.repository: ${target.reason}`);
    const { registry, path } = this.targets.registryOf(target.id);
    return {
      id: target.id,
      repository: new OciRepository(registry, path, this.upstream, this.targets.settings.maxManifestBytes),
    };
  }

  /** The chart versions among the tags; undefined when the listing did not change. */
  async versions(
    chart: OciChart,
    options: { validators?: DiscoveryValidators; signal?: AbortSignal },
  ): Promise<{ versions: string[]; validators?: DiscoveryValidators } | undefined> {
    const listing = await chart.repository.listTags({ maxTags: this.targets.settings.maxTags, ...options });
    if (listing.notModified) return undefined;
    const versions = listing.tags
      .map(tag => tag.replace(/_/g, '+'))
      .filter(version => helmVersionScheme.isValidVersion(version));
    return { versions, validators: listing.validators };
  }

  /** The chart layer of a version's manifest, and the manifest's digest (hex). */
  async layerOf(chart: OciChart, version: string, signal?: AbortSignal): Promise<{ layer: Descriptor; manifest: string }> {
    const fetched = await chart.repository.getManifest(chartTag(version), { signal });
    if ('notModified' in fetched) throw new Error(`manifest ${chartTag(version)} answered 304 to an unconditional request`);
    const { manifest } = fetched;
    const layer = manifest.kind === 'manifest' ? manifest.layers.find(l => CHART_LAYERS.includes(l.mediaType)) : undefined;
    if (!layer) throw new Error(`${chart.id}:${chartTag(version)} is not a Helm chart (no chart layer)`);
    return { layer, manifest: digestHex(fetched.digest) };
  }

  /** The bytes of a chart layer, checked against its digest. */
  async archive(chart: OciChart, layer: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (layer.size > this.maxChartBytes) {
      throw new Error(`the chart layer has more than ${this.maxChartBytes} bytes (backpack.processors.helm.maxChartBytes)`);
    }
    const url = chart.repository.blobUrl(layer.digest);
    const response = await this.upstream.get(url, { signal });
    if (response.status !== 200) throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    if (sha256Digest(response.body) !== layer.digest) {
      throw new Error(`${redactUrl(url)}: the chart layer's bytes are not ${layer.digest}`);
    }
    return response.body;
  }
}
