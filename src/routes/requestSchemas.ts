import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { COLUMN_LIMITS } from '../database/columnLimits';
import { text } from '../lib/validation';
import { artifactAdmissionSchema } from '../admission/admissionSettings';

// Request shapes of the REST API; src/schema/openapi.yaml describes the same.
// Every string is a `text` of the length of the column it is stored in or
// compared with, without control characters; a filter is bounded like a
// dependency range.

const processorName = text(COLUMN_LIMITS.processor).min(1, 'must not be empty');
const artifactId = text(COLUMN_LIMITS.artifactId);
const filterText = text(COLUMN_LIMITS.range);

/** Path parameters of `/artifacts/{processor}/{id}` and the routes below it. */
export const artifactParams = z.object({
  processor: processorName,
  id: artifactId.min(1, 'must not be empty'),
});

/** Path parameters of `/artifacts/{processor}/{id}/versions/{version}/files`. */
export const versionParams = artifactParams.extend({
  version: text(COLUMN_LIMITS.version).min(1, 'must not be empty'),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an id can name a run or an export, whose ids are UUIDs; anything
 * else is answered like an unknown id, without a query.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

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
  id: artifactId.trim().min(1, 'must not be empty'),
  processor: processorName,
  filter: filterText.optional(),
  filterType: filterTypeSchema.optional(),
  config: configSchema.optional(),
  dependencyPolicy: dependencyPolicySchema.optional(),
  admission: artifactAdmissionSchema.optional(),
});

export const updateArtifactBody = z.strictObject({
  filter: filterText.nullable().optional(),
  filterType: filterTypeSchema.nullable().optional(),
  config: configSchema.optional(),
  dependencyPolicy: dependencyPolicySchema.optional(),
  admission: artifactAdmissionSchema.nullable().optional(),
});

export const createRunBody = z
  .strictObject({
    processor: processorName.optional(),
    id: artifactId.min(1, 'must not be empty').optional(),
  })
  .refine(body => (body.processor === undefined) === (body.id === undefined), {
    message: 'processor and id go together: give both to scope the run to one artifact, or neither',
  });

export const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const listArtifactsQuery = z.object({
  processor: processorName.optional(),
  root: z
    .enum(['true', 'false'])
    .transform(value => value === 'true')
    .optional(),
  status: z.enum(['pending', 'ok', 'error']).optional(),
  q: artifactId.optional(),
  ...pagination,
});

export const listVersionsQuery = z.object({
  status: z.enum(['discovered', 'selected', 'denied', 'pending-approval']).optional(),
  ...pagination,
});

/** Body of an approval or rejection of a version. */
export const approvalBody = z.strictObject({
  comment: text(1024).optional(),
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
    processor: processorName.optional(),
    id: artifactId.min(1, 'must not be empty').optional(),
    errorKind: z.enum(['transient', 'permanent']).optional(),
  })
  .refine(body => body.id === undefined || body.processor !== undefined, {
    message: 'id needs processor: an id names an artifact of one processor',
  });
