import { createBackendModule } from '@backstage/backend-plugin-api';
import { backpackAdmissionExtensionPoint } from '../admission/extensionPoint';
import { BackpackAdmissionCheck } from '../admission/types';

/**
 * A backend module that adds one admission check named `review`, the way an
 * organisation's own module would: how the end-to-end suites make versions
 * wait for a person or be denied.
 */
export function reviewCheckModule(check: BackpackAdmissionCheck['check']) {
  return createBackendModule({
    pluginId: 'backpack',
    moduleId: 'review-check',
    register(env) {
      env.registerInit({
        deps: { admission: backpackAdmissionExtensionPoint },
        async init({ admission }) {
          admission.addCheck({ name: 'review', check });
        },
      });
    },
  });
}
