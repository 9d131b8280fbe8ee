import { NotFoundError } from '@backstage/errors';
import { RequestHandler } from 'express';
import { COLUMN_LIMITS } from '../database/columnLimits';
import { textProblem } from '../lib/validation';

/**
 * Answers 404 for registry-view paths that cannot name anything mirrored:
 * a path segment that does not decode, a decoded path with control
 * characters, or one longer than any stored path. The same rule as for API
 * input (`textProblem`), but a view answers a name that cannot exist the
 * way it answers one that does not.
 */
export const rejectImpossibleViewPaths: RequestHandler = (req, _res, next) => {
  let decoded: string;
  try {
    decoded = req.path.split('/').map(decodeURIComponent).join('/');
  } catch {
    next(new NotFoundError('Not found'));
    return;
  }
  if (textProblem(decoded, COLUMN_LIMITS.storagePath + 64)) {
    next(new NotFoundError('Not found'));
    return;
  }
  next();
};
