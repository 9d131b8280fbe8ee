import { createConditionExports } from '@backstage/plugin-permission-node';
import { backpackArtifactResourceRef } from './resource';
import { backpackArtifactRules } from './rules';

const { conditions, createConditionalDecision } = createConditionExports({
  resourceRef: backpackArtifactResourceRef,
  rules: backpackArtifactRules,
});

/**
 * Condition factories for policy authors, e.g.
 * `backpackArtifactConditions.isRoot({ root: true })`.
 *
 * @public
 */
export const backpackArtifactConditions = conditions;

/**
 * Builds a conditional decision on a `backpack-artifact` permission, e.g.
 * `createBackpackArtifactConditionalDecision(permission,
 * backpackArtifactConditions.hasProcessor({ processors: ['npm'] }))`.
 *
 * @public
 */
export const createBackpackArtifactConditionalDecision =
  createConditionalDecision;
