import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { semverScheme } from '../processors/npm/semverScheme';
import { canonicalArtifactId } from './artifactIds';
import { BackpackProcessor } from '../processors/types';

const processor = (normalizeId?: (id: string) => string): BackpackProcessor => ({
  name: 'p',
  description: 'p',
  configSchema: z.object({}),
  versions: semverScheme,
  ...(normalizeId ? { normalizeId } : {}),
  discover: async () => ({ notModified: false, versions: [] }),
});

describe('canonicalArtifactId', () => {
  it('applies the checks every processor shares, then the processor own', () => {
    const lower = processor(id => {
      if (id.includes('!')) throw new InputError(`id: '${id}' is not a p name`);
      return id.toLowerCase();
    });
    expect(canonicalArtifactId(lower, 'ABC')).toEqual({ id: 'abc' });
    expect(canonicalArtifactId(lower, 'a!')).toEqual({ problem: "'a!' is not a p name" });
    expect(canonicalArtifactId(lower, ' ')).toEqual({ problem: 'must not be empty' });
    expect(canonicalArtifactId(lower, 'a\u0000')).toEqual({ problem: 'must not contain control characters' });
    expect(canonicalArtifactId(lower, 'x'.repeat(513))).toEqual({ problem: 'must be at most 512 characters' });
  });

  it('holds a processor without normalizeId, or one that misbehaves, to the same rules', () => {
    expect(canonicalArtifactId(processor(), 'Any/Thing')).toEqual({ id: 'Any/Thing' });
    expect(canonicalArtifactId(processor(), 'a\u0007')).toEqual({ problem: 'must not contain control characters' });
    expect(canonicalArtifactId(processor(() => { throw new Error('boom'); }), 'a')).toEqual({ problem: 'boom' });
    expect(canonicalArtifactId(processor(id => id.repeat(1000)), 'ab')).toEqual({
      problem: 'must be at most 512 characters',
    });
  });
});
