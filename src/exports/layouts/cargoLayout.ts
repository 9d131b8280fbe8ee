import {
  bundleCargoConfig,
  bundleCargoIndexFile,
  CARGO_CONFIG_PATH,
  CARGO_ROOT,
  cargoFilePath,
} from '../metadata/staticCargo';
import { EcosystemLayout } from './EcosystemLayout';

/** Cargo: a static sparse registry under `cargo/` (see `metadata/staticCargo.ts`). */
export const cargoLayout: EcosystemLayout = {
  processor: CARGO_ROOT,
  pathOf: file => cargoFilePath(file),
  async metadataOf(artifact) {
    const indexFile = bundleCargoIndexFile(artifact);
    return indexFile ? [indexFile] : [];
  },
  indexesOf: () => [
    {
      path: CARGO_CONFIG_PATH,
      async *chunks() {
        yield bundleCargoConfig();
      },
    },
  ],
};
