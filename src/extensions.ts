import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { BackpackProcessorFactory } from './processors/context';
import { BackpackProcessor } from './processors/types';

/**
 * Lets backend modules add ecosystems to Backpack. The built-in npm, PyPI
 * and Maven processors are added through it too, by the package's own
 * modules, as replaceable registrations: a module's processor of the same
 * name takes their place.
 *
 * @public
 */
export interface BackpackProcessorsExtensionPoint {
  /** Adds ready processors. */
  addProcessor(...processors: BackpackProcessor[]): void;
  /**
   * Adds a processor created when the plugin starts, from a context that
   * holds the upstream client behind Backpack's host policy; the factory
   * may return undefined to leave the processor out.
   */
  addProcessorFactory(
    factory: BackpackProcessorFactory,
    options?: {
      /** Whether a processor of the same name added by someone else replaces it. Default false. */
      replaceable?: boolean;
    },
  ): void;
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

export { backpackAdmissionExtensionPoint } from './admission/extensionPoint';
export type { BackpackAdmissionExtensionPoint } from './admission/extensionPoint';
