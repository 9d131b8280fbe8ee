import { backpackDefaultFeatures } from '../features';

/**
 * What the package's default export loads, as plain features:
 * `startTestBackend` adds a stand-in plugin for modules whose plugin it
 * does not see, and it does not look inside feature loaders, so a test that
 * adds its own `backpack` module next to the loader would get two plugins.
 */
export const backpackFeatures = backpackDefaultFeatures;
