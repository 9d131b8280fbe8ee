import { errorMessage } from '../lib/errorMessage';
import { COLUMN_LIMITS } from '../database/columnLimits';
import { textProblem } from '../lib/validation';
import { BackpackProcessor } from '../processors/types';

/**
 * The canonical form of an artifact id for a processor, or what is wrong
 * with it: first what every processor shares (not empty, at most 512
 * characters, no control characters), then the processor's own rules, which
 * its `normalizeId` enforces by throwing. The one check applied to every id
 * Backpack accepts, from callers and from upstream dependency lists alike.
 */
export function canonicalArtifactId(
  processor: BackpackProcessor,
  id: string,
): { id: string } | { problem: string } {
  const shared = (value: string) =>
    !value.trim() ? 'must not be empty' : textProblem(value, COLUMN_LIMITS.artifactId);
  const before = shared(id);
  if (before) return { problem: before };
  let canonical: string;
  try {
    canonical = processor.normalizeId ? processor.normalizeId(id) : id;
  } catch (error) {
    const message = errorMessage(error);
    // Processors name the field themselves (`id: 'x' is not …`).
    return { problem: message.replace(/^id: /, '') };
  }
  if (typeof canonical !== 'string') {
    return { problem: `processor '${processor.name}' gave no canonical id` };
  }
  const after = shared(canonical);
  return after ? { problem: after } : { id: canonical };
}
