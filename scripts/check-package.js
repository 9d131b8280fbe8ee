#!/usr/bin/env node
/*
 * Proves the package installs and runs the way a platform team uses it:
 *
 *   1. `npm pack` (prepack builds with `backstage-cli package build` and
 *      points main/types at dist/),
 *   2. installs the tarball into a new Backstage backend project in a
 *      temporary directory (`@backstage/backend-defaults` and this package,
 *      nothing else, with the same overrides as this repository),
 *   3. starts that backend with plain node (no TypeScript transform) on a
 *      free port, `backend.add(import('<package name>'))` and a minimal
 *      config: SQLite in memory, a temporary blob directory, a static token,
 *   4. checks GET /api/backpack/health is 200, the built-in processors are
 *      loaded by the default export, an authenticated list of
 *      artifacts is 200 (the migrations shipped in the tarball ran), the
 *      migrations resolve inside the installed package, the bin is linked,
 *      and the catalog module export loads with the package's dependencies,
 *   5. stops it and removes the temporary directory.
 *
 *   node scripts/check-package.js [--keep]
 *
 * The install prefers the npm cache (--prefer-offline). Native add-ons the
 * repository has already compiled at the same version (re2, better-sqlite3)
 * are copied instead of compiled again: compiling them proves nothing about
 * this package and takes minutes; any other is built by `npm rebuild`.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const TOKEN = 'check-package-token-0123456789abcdef';
const started = Date.now();
const timings = [];

function step(name, run) {
  const at = Date.now();
  console.log(`--- ${name}`);
  const result = run();
  const record = () => timings.push([name, (Date.now() - at) / 1000]);
  if (result && typeof result.then === 'function') return result.finally(record);
  record();
  return result;
}

function npm(args, cwd) {
  execFileSync('npm', args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Copies the compiled add-ons the repository has at the same versions;
 * builds the others, as far as they build here.
 */
function provideNativeAddons(project) {
  const modules = path.join(project, 'node_modules');
  const addons = [];
  const visit = dir => {
    for (const entry of fs.readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const pkg = path.join(dir, entry);
      if (entry.startsWith('@')) visit(pkg);
      else if (fs.existsSync(path.join(pkg, 'binding.gyp'))) addons.push(path.relative(modules, pkg));
    }
  };
  visit(modules);
  const rebuild = [];
  for (const name of addons) {
    const version = JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version;
    const own = path.join(root, 'node_modules', name);
    const ownVersion = fs.existsSync(path.join(own, 'package.json'))
      ? JSON.parse(fs.readFileSync(path.join(own, 'package.json'), 'utf8')).version
      : undefined;
    if (ownVersion === version && fs.existsSync(path.join(own, 'build', 'Release'))) {
      fs.cpSync(path.join(own, 'build'), path.join(modules, name, 'build'), { recursive: true });
      console.log(`${name}@${version}: compiled add-on copied from this repository`);
    } else {
      rebuild.push(name);
    }
  }
  for (const name of rebuild) {
    try {
      execFileSync('npm', ['rebuild', name], { cwd: project, stdio: 'pipe' });
    } catch {
      // As npm install leaves an optional add-on that does not build here;
      // if the plugin needed it, the start below fails and says so.
      console.log(`${name}: does not build here; left unbuilt, as npm install leaves optional ones`);
    }
  }
}

async function waitForHealth(url, child, output) {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) throw new Error(`the backend exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return res.json();
    } catch {
      // Not listening yet.
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer 200:\n${output()}`);
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main() {
  const keep = process.argv.includes('--keep');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backpack-package-'));
  let child;
  try {
    const tarball = step('npm pack (build, prepack, postpack)', () => {
      npm(['pack', '--pack-destination', work, '--silent'], root);
      return fs.readdirSync(work).find(file => file.endsWith('.tgz'));
    });
    if (!tarball) throw new Error('npm pack wrote no tarball');

    const project = path.join(work, 'backend');
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'backpack-package-check',
          private: true,
          dependencies: {
            '@backstage/backend-defaults': manifest.devDependencies['@backstage/backend-defaults'],
            [manifest.name]: `file:../${tarball}`,
          },
          overrides: manifest.overrides,
        },
        null,
        2,
      ),
    );
    step('npm install into a new backend (prefer offline)', () => {
      npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], project);
      provideNativeAddons(project);
    });

    const port = await freePort();
    const storage = path.join(work, 'storage');
    fs.writeFileSync(
      path.join(project, 'index.js'),
      `const { createBackend } = require('@backstage/backend-defaults');
const backend = createBackend();
backend.add(import(${JSON.stringify(manifest.name)}));
backend.start();
`,
    );
    fs.writeFileSync(
      path.join(project, 'app-config.yaml'),
      `backend:
  baseUrl: http://localhost:${port}
  listen: { port: ${port}, host: 127.0.0.1 }
  database: { client: better-sqlite3, connection: ':memory:' }
  auth:
    externalAccess:
      - type: static
        options: { token: ${TOKEN}, subject: package-check }
backpack:
  storage: { local: { directory: ${JSON.stringify(storage)} } }
`,
    );

    let output = '';
    await step('start the backend and check it', async () => {
      child = spawn(process.execPath, ['index.js'], {
        cwd: project,
        env: { ...process.env, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', chunk => (output += chunk));
      child.stderr.on('data', chunk => (output += chunk));
      const base = `http://127.0.0.1:${port}/api/backpack`;
      const health = await waitForHealth(`${base}/health`, child, () => output);
      console.log(`GET /api/backpack/health: 200 ${JSON.stringify(health)}`);

      const artifacts = await fetch(`${base}/artifacts`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const body = await artifacts.text();
      if (artifacts.status !== 200) {
        throw new Error(`GET /api/backpack/artifacts answered ${artifacts.status}: ${body}\n${output}`);
      }
      console.log(`GET /api/backpack/artifacts: 200 ${body}`);

      // The default export loads the built-in processors as modules.
      const processors = await fetch(`${base}/processors`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const names = (await processors.json()).items?.map(p => p.name).sort().join(',');
      if (processors.status !== 200 || names !== 'cargo,composer,files,github-releases,go,helm,huggingface,maven,npm,nuget,oci,pypi,terraform') {
        throw new Error(`GET /api/backpack/processors answered ${processors.status} with ${names}\n${output}`);
      }
      console.log(`GET /api/backpack/processors: 200 ${names}`);

      const migrations = execFileSync(
        process.execPath,
        [
          '-p',
          `require('@backstage/backend-plugin-api').resolvePackagePath(${JSON.stringify(manifest.name)}, 'migrations')`,
        ],
        { cwd: project, encoding: 'utf8' },
      ).trim();
      const installed = path.join(project, 'node_modules', manifest.name, 'migrations');
      if (fs.realpathSync(migrations) !== fs.realpathSync(installed)) {
        throw new Error(`migrations resolve to ${migrations}, not into the installed package`);
      }
      const shipped = fs.readdirSync(migrations).sort();
      const own = fs.readdirSync(path.join(root, 'migrations')).sort();
      if (JSON.stringify(shipped) !== JSON.stringify(own)) {
        throw new Error(`the package ships migrations ${shipped}, the repository has ${own}`);
      }
      console.log(`migrations: ${shipped.length} files in ${path.relative(work, migrations)}`);

      // The catalog module is a named export that loads with the package's own dependencies.
      const catalogModule = execFileSync(
        process.execPath,
        ['-p', `require(${JSON.stringify(manifest.name)}).catalogModuleBackpackEntityProvider?.$$type`],
        { cwd: project, encoding: 'utf8' },
      ).trim();
      if (catalogModule !== '@backstage/BackendFeature') {
        throw new Error(`catalogModuleBackpackEntityProvider is not a backend feature: ${catalogModule}`);
      }
      console.log('catalogModuleBackpackEntityProvider: a backend feature');

      for (const bin of Object.keys(manifest.bin ?? {})) {
        if (!fs.existsSync(path.join(project, 'node_modules', '.bin', bin))) {
          throw new Error(`bin ${bin} is not linked`);
        }
      }
    });
    await stop(child);
    console.log('--- the package installs, starts and answers');
  } finally {
    if (child) await stop(child);
    if (keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
    for (const [name, seconds] of timings) console.log(`${seconds.toFixed(1).padStart(7)} s  ${name}`);
    console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  in all`);
  }
}

main().catch(error => {
  console.error(`FAILED: ${error.message}`);
  process.exit(1);
});
