import { buildImage, OCI, ociObject } from '../../__testUtils__/ociImages';
import { OCI_FILE_NAMES } from './ociClosure';
import { ManifestError, MEDIA_TYPES, parseManifest } from './ociManifest';

const image = buildImage('app');
const parse = (bytes: Buffer, contentType?: string, maxBytes = 1024 * 1024) =>
  parseManifest(bytes, { digest: ociObject('x/y', bytes).digest, maxBytes, contentType });

describe('parseManifest', () => {
  it('parses an index and a manifest, checked against their digests', () => {
    const index = parse(image.root.bytes, OCI.index);
    expect(index.kind).toBe('index');
    expect(index.kind === 'index' && index.manifests.map(m => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    const manifest = parse(image.manifests[1].bytes, `${OCI.manifest}; charset=utf-8`);
    expect(manifest.kind === 'manifest' && manifest.layers).toHaveLength(2);
    expect(OCI_FILE_NAMES.manifest(image.root.digest)).toBe(`manifest:${image.root.digest}`);
  });

  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const layer = { mediaType: OCI.layer, digest: `sha256:${'b'.repeat(64)}`, size: 1 };

  it.each([
    ['bytes of another digest', () => parseManifest(image.root.bytes, { digest: image.manifests[1].digest, maxBytes: 1e6 }), /manifest bytes have digest/],
    ['more bytes than the cap', () => parse(image.root.bytes, undefined, 10), /larger than 10 bytes/],
    ['no JSON', () => parse(Buffer.from('<html>')), /is not JSON/],
    ['schema 1', () => parse(json({ schemaVersion: 1, fsLayers: [] })), /not schema version 2/],
    ['an unknown media type', () => parse(json({ schemaVersion: 2, mediaType: 'text/html' })), /is not an image index or manifest/],
    ['a type other than served', () => parse(image.root.bytes, MEDIA_TYPES.dockerManifest), /served as .* but is/],
    ['a digest of another algorithm', () => parse(json({ schemaVersion: 2, config: { ...layer, digest: `sha512:${'a'.repeat(128)}` }, layers: [] })), /config: digest is not sha256/],
    ['an upper-case digest', () => parse(json({ schemaVersion: 2, config: { ...layer, digest: `sha256:${'A'.repeat(64)}` } })), /digest is not sha256/],
    ['a negative size', () => parse(json({ schemaVersion: 2, config: { ...layer, size: -1 } })), /size is not a non-negative integer/],
    ['a media type with a path in it', () => parse(json({ schemaVersion: 2, config: { ...layer, mediaType: '../../x' } })), /mediaType is not a media type/],
    ['layers that are no list', () => parse(json({ schemaVersion: 2, config: layer, layers: {} })), /layers is not a list/],
    ['too many descriptors', () => parse(json({ schemaVersion: 2, config: layer, layers: Array(10_001).fill(layer) }), undefined, 1e7), /more than 10000 descriptors/],
  ])('refuses %s', (_what, run, message) => {
    expect(run).toThrow(ManifestError);
    expect(run).toThrow(message);
  });
});
