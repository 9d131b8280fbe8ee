import { Router } from 'express';
import { z } from 'zod';
import { BackpackProcessor } from '../processors/types';
import { callerCredentials } from './credentials';
import { RouteContext } from './RouteContext';

function describeConfig(processor: BackpackProcessor): unknown {
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
