import { bundleGoMetadata, GO_ROOT, goFilePath } from '../metadata/staticGo';
import { EcosystemLayout } from './EcosystemLayout';

/** Go: a GOPROXY directory under `go/` (see `metadata/staticGo.ts`). */
export const goLayout: EcosystemLayout = {
  processor: GO_ROOT,
  pathOf: file => goFilePath(file),
  metadataOf: (artifact, _cutoff, context) => bundleGoMetadata(artifact, context),
};
