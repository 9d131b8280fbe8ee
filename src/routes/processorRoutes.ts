import { Router } from 'express';
import { z } from 'zod';
import { BackpackProcessor } from '../processors/types';
import { callerCredentials } from './credentials';
import { RouteContext } from './RouteContext';

/**
 * Config schemas as JSON Schema, converted once per processor: a
 * processor's schema does not change while it is registered, and the
 * conversion is most of what a listing would otherwise cost.
 */
const described = new WeakMap<BackpackProcessor, unknown>();

function describeConfig(processor: BackpackProcessor): unknown {
  if (!described.has(processor)) described.set(processor, convertConfig(processor));
  return described.get(processor);
}

function convertConfig(processor: BackpackProcessor): unknown {
  try {
    // The input side is what callers send in `config`.
    return z.toJSONSchema(processor.configSchema, {
      io: 'input',
      unrepresentable: 'any',
    });
  } catch {
    // A schema that cannot be expressed (e.g. cycles) is still enforced on
    // write; describing it as "any object" keeps the listing available.
    return { type: 'object' };
  }
}

/** Routes under /processors. */
export function addProcessorRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, processors } = ctx;

  router.get('/processors', async (req, res) => {
    await callerCredentials(httpAuth, req);
    res.json({
      items: processors.list().map(processor => ({
        name: processor.name,
        description: processor.description,
        rangeLanguage: processor.versions.name,
        configSchema: describeConfig(processor),
      })),
    });
  });
}
