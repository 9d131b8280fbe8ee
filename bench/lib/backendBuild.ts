import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './childProcess';
import { runCommand } from './commands';

/**
 * What the benchmark backends run. `dist`: the package as `npm pack` ships
 * it (`backstage-cli package build` into `dist/`), started with plain node
 * and no TypeScript transform, as a platform team's backend runs it.
 * `source`: `src/` through `@backstage/cli/config/nodeTransform.cjs`, as
 * `npm start` does (`npm run bench -- --from-source`).
 */
export type BackendBuild = { kind: 'dist'; entry: string } | { kind: 'source' };

/** One line for RESULTS.md: which backend a figure was measured on. */
export function describeBuild(build: BackendBuild): string {
  return build.kind === 'dist'
    ? 'the built package (`dist/` from `backstage-cli package build`, plain `node`, `NODE_ENV=production`, no TypeScript transform)'
    : 'the plugin from source (`src/` compiled at load time by `@backstage/cli/config/nodeTransform.cjs`, `NODE_ENV=production`)';
}

/** The harness's side of the backend: its entry point and the bench processor. */
const BENCH_FILES = ['backend.ts', 'benchProcessorModule.ts', 'benchManifest.ts'];

/**
 * Rewrites the harness's imports of the plugin's source (`../src`,
 * `../src/extensions`) to the built files: the build keeps the source's
 * module layout (rollup `preserveModules`), one `<module>.cjs.js` per file.
 */
export function toBuiltImports(code: string): string {
  return code.replace(
    /require\((["'])\.\.\/src(\/[^"']*)?\1\)/g,
    (_match, quote: string, rest: string | undefined) =>
      `require(${quote}..${rest ?? '/index'}.cjs.js${quote})`,
  );
}

/**
 * Builds the package into `dist/` (the same two steps as `npm run build`,
 * without its type check, which is `npx tsc`'s job: declarations only, then
 * `backstage-cli package build`) and transpiles the harness's backend entry
 * into `dist/bench/`, importing the built plugin. `dist/` is not committed;
 * `npm pack` rebuilds it from scratch.
 */
export async function buildBackend(repoRoot = REPO_ROOT): Promise<BackendBuild> {
  const tsc = require.resolve('typescript/bin/tsc');
  const cli = require.resolve('@backstage/cli/bin/backstage-cli');
  await runCommand(process.execPath, [tsc, '--noCheck', '--incremental', 'false'], { cwd: repoRoot });
  await runCommand(process.execPath, [cli, 'package', 'build'], { cwd: repoRoot });
  const out = path.join(repoRoot, 'dist', 'bench');
  fs.mkdirSync(out, { recursive: true });
  for (const file of BENCH_FILES) {
    const source = fs.readFileSync(path.join(repoRoot, 'bench', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    fs.writeFileSync(path.join(out, file.replace(/\.ts$/, '.js')), toBuiltImports(outputText));
  }
  return { kind: 'dist', entry: path.join(out, 'backend.js') };
}
