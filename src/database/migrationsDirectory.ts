import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = '@internal/plugin-backpack-backend';

/**
 * Where the knex migrations of this package live. Installed in a backend the
 * package resolves by name; in its own checkout (dev backend, tests) it
 * cannot resolve itself, so the nearest package.json above this file is used.
 */
export function migrationsDirectory(): string {
  try {
    return resolvePackagePath(PACKAGE_NAME, 'migrations');
  } catch {
    // Walking up from this file finds the package root from src/ and from
    // dist/ alike, which is all the fallback needs.
    // eslint-disable-next-line no-restricted-syntax
    for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, 'package.json');
      if (
        fs.existsSync(manifest) &&
        JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME
      ) {
        return path.join(dir, 'migrations');
      }
    }
    throw new Error(`Cannot locate the migrations of ${PACKAGE_NAME}`);
  }
}
