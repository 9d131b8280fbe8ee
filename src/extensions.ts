import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { BackpackProcessor } from './processors/types';

/**
 * Lets backend modules add ecosystems to Backpack.
 *
 * @public
 */
export interface BackpackProcessorsExtensionPoint {
  addProcessor(...processors: BackpackProcessor[]): void;
}

/**
 * Extension point for adding processors.
 *
 * @public
 */
export const backpackProcessorsExtensionPoint =
  createExtensionPoint<BackpackProcessorsExtensionPoint>({
    id: 'backpack.processors',
  });
