import { bundleTerraformDocuments, TERRAFORM_ROOT, terraformFilePath } from '../metadata/staticTerraform';
import { EcosystemLayout } from './EcosystemLayout';

/** Terraform: the provider network mirror layout under `terraform/` (see `metadata/staticTerraform.ts`). */
export const terraformLayout: EcosystemLayout = {
  processor: TERRAFORM_ROOT,
  pathOf: file => terraformFilePath(file.artifactId, file.name),
  async metadataOf(artifact, _cutoff, context) {
    const documents = await bundleTerraformDocuments(artifact, file => context.rangeReaderOf(file));
    return documents.map(d => ({ path: d.path, content: Buffer.from(d.content) }));
  },
};
