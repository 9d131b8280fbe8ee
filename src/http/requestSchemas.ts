import { JsonObject } from '@backstage/types';
import { z } from 'zod';

// Request shapes of the REST API; src/schema/openapi.yaml describes the same.

const filterTypeSchema = z.enum(['semver', 'regex']);
const dependencyPolicySchema = z.enum([
  'none',
  'latest',
  'all-satisfying',
  'all',
]);
const configSchema = z
  .record(z.string(), z.json())
  .transform(value => value as JsonObject);

export const createArtifactBody = z.strictObject({
  id: z.string().trim().min(1, 'must not be empty'),
  processor: z.string().min(1, 'must not be empty'),
  filter: z.string().optional(),
  filterType: filterTypeSchema.optional(),
  config: configSchema.optional(),
  dependencyPolicy: dependencyPolicySchema.optional(),
});

export const updateArtifactBody = z.strictObject({
  filter: z.string().nullable().optional(),
  filterType: filterTypeSchema.nullable().optional(),
  config: configSchema.optional(),
  dependencyPolicy: dependencyPolicySchema.optional(),
});

export const createRunBody = z
  .strictObject({
    processor: z.string().min(1, 'must not be empty').optional(),
    id: z.string().min(1, 'must not be empty').optional(),
  })
  .refine(body => (body.processor === undefined) === (body.id === undefined), {
    message: 'processor and id go together: give both to scope the run to one artifact, or neither',
  });

export const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const listArtifactsQuery = z.object({
  processor: z.string().optional(),
  root: z
    .enum(['true', 'false'])
    .transform(value => value === 'true')
    .optional(),
  status: z.enum(['pending', 'ok', 'error']).optional(),
  q: z.string().optional(),
  ...pagination,
});

export const listVersionsQuery = z.object({
  status: z.enum(['discovered', 'selected', 'denied']).optional(),
  ...pagination,
});

export const listFilesQuery = z.object({
  status: z
    .enum(['pending', 'queued', 'collected', 'failed', 'parked'])
    .optional(),
  ...pagination,
});

export const deleteArtifactQuery = z.object({
  purge: z
    .enum(['true', 'false'])
    .transform(value => value === 'true')
    .default(false),
});

export const listRunsQuery = z.object({
  status: z
    .enum(['queued', 'running', 'collecting', 'succeeded', 'partial', 'failed'])
    .optional(),
  ...pagination,
});

export const retryFilesBody = z
  .strictObject({
    processor: z.string().min(1, 'must not be empty').optional(),
    id: z.string().min(1, 'must not be empty').optional(),
    errorKind: z.enum(['transient', 'permanent']).optional(),
  })
  .refine(body => body.id === undefined || body.processor !== undefined, {
    message: 'id needs processor: an id names an artifact of one processor',
  });
