import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { BackpackAdmissionCheck } from './types';

/**
 * Lets backend modules add admission checks: each is asked about every
 * version a run or a preview would let into the mirror, after the built-in
 * checks of `backpack.admission`, and may allow, deny (with a reason) or
 * hold the version for approval.
 *
 * @public
 */
export interface BackpackAdmissionExtensionPoint {
  addCheck(...checks: BackpackAdmissionCheck[]): void;
}

/**
 * Extension point for admission checks.
 *
 * @public
 */
export const backpackAdmissionExtensionPoint = createExtensionPoint<BackpackAdmissionExtensionPoint>({
  id: 'backpack.admission',
});
