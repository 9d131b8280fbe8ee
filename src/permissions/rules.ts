import { createPermissionRule } from '@backstage/plugin-permission-node';
import { z } from 'zod';
import { backpackArtifactResourceRef } from './resource';

/**
 * Allows artifacts of the given processors, e.g. `{ processors: ['npm'] }`.
 *
 * @public
 */
export const hasProcessor = createPermissionRule({
  name: 'HAS_PROCESSOR',
  description: 'Allow artifacts handled by one of the given processors',
  resourceRef: backpackArtifactResourceRef,
  paramsSchema: z.object({
    processors: z
      .array(z.string())
      .describe('Processor names, e.g. npm, pypi, maven'),
  }),
  apply: (artifact, { processors }) => processors.includes(artifact.processor),
  toQuery: ({ processors }) => ({ key: 'processor', values: processors }),
});

/**
 * Allows root artifacts (added by a person or script) or, with
 * `{ root: false }`, the ones pulled in as dependencies.
 *
 * @public
 */
export const isRoot = createPermissionRule({
  name: 'IS_ROOT',
  description:
    'Allow root artifacts (root: true) or dependency artifacts (root: false)',
  resourceRef: backpackArtifactResourceRef,
  paramsSchema: z.object({
    root: z
      .boolean()
      .describe('true for artifacts added by a person or script'),
  }),
  apply: (artifact, { root }) => artifact.root === root,
  toQuery: ({ root }) => ({ key: 'root', value: root }),
});

/**
 * The rules of the `backpack-artifact` resource type.
 *
 * @public
 */
export const backpackArtifactRules = { hasProcessor, isRoot };
