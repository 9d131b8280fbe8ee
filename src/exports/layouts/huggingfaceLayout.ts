import { bundleHuggingfaceMetadata, HUGGINGFACE_ROOT, huggingfaceFilePath } from '../metadata/staticHuggingface';
import { EcosystemLayout } from './EcosystemLayout';

/** Hugging Face: snapshot folders per commit, revision documents and refs (see `metadata/staticHuggingface.ts`). */
export const huggingfaceLayout: EcosystemLayout = {
  processor: HUGGINGFACE_ROOT,
  pathOf: file => huggingfaceFilePath(file),
  metadataOf: async artifact => bundleHuggingfaceMetadata(artifact),
};
