#!/usr/bin/env node
/*
 * Captures a frozen npm corpus like the one the corpus suites use
 * (`npm run test:corpus`): the complete packuments of every package in the
 * closures of the given roots, and the tarballs of the closure's versions,
 * written as a verdaccio storage directory and archived.
 *
 *   node scripts/capture-npm-corpus.js --out ../shared/fixtures \
 *     express@4.21.2 jest@29.7.0
 *
 * Options: --registry URL (default https://registry.npmjs.org), --out DIR
 * (default ./npm-corpus), --concurrency N (default 8). It needs network
 * access to the registry, so it is not part of CI.
 *
 * Writes into DIR:
 *   npm-corpus.tar.gz                 small/<name>/package.json and
 *                                     small/<name>/<file>.tgz, tarball URLs
 *                                     rewritten to http://registry.invalid/
 *   npm-corpus.<root>.closure.txt     name@version per line, sorted, one
 *                                     list per root (scope dropped from the
 *                                     file name: @x/y -> y)
 *
 * The closure rule: from each root, every `dependencies`,
 * `optionalDependencies` and non-optional `peerDependencies` range of a
 * chosen version resolves to the highest published version that satisfies
 * it (a dist-tag to the version it names, `npm:name@range` to the aliased
 * package); repeat to a fixpoint. Git, file, link, URL and workspace specs
 * are not followed. Every tarball is checked against the packument's
 * integrity before it is written.
 */
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const semver = require('semver');

const INVALID = 'http://registry.invalid';

/** `name@version` (the name may be scoped) as `[name, version]`. */
function splitSpec(spec) {
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new Error(`'${spec}' is not name@version`);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

/** The target of a dependency spec: `[name, range]`, or undefined when npm would not ask a registry. */
function targetOf(key, spec) {
  if (spec.startsWith('npm:')) {
    const target = spec.slice(4);
    const at = target.indexOf('@', 1);
    return at < 0 ? [target, ''] : [target.slice(0, at), target.slice(at + 1)];
  }
  if (/^(git|github|gitlab|bitbucket|file|link|workspace|https?):|^[^@/]+\/[^/]+$/.test(spec)) {
    return undefined;
  }
  return [key, spec];
}

/** The version a range of a packument resolves to under the closure rule. */
function resolveRange(packument, range) {
  const tagged = packument['dist-tags'] && packument['dist-tags'][range];
  if (tagged) return packument.versions[tagged] ? tagged : undefined;
  const wanted = range.trim() === '' ? '*' : range;
  if (!semver.validRange(wanted)) return undefined;
  return semver.maxSatisfying(Object.keys(packument.versions), wanted) || undefined;
}

/** The edges the closure rule follows from one manifest. */
function edgesOf(manifest) {
  const optionalPeers = new Set(
    Object.entries(manifest.peerDependenciesMeta || {})
      .filter(([, meta]) => meta && meta.optional)
      .map(([name]) => name),
  );
  return [
    ...Object.entries(manifest.dependencies || {}),
    ...Object.entries(manifest.optionalDependencies || {}),
    ...Object.entries(manifest.peerDependencies || {}).filter(([name]) => !optionalPeers.has(name)),
  ];
}

/**
 * Walks the closures of `roots` with `getPackument(name)`; answers the
 * closure of each root (sorted `name@version` lists) and their union.
 */
async function closures(roots, getPackument) {
  /** @type {Record<string, string[]>} */
  const perRoot = {};
  const all = new Set();
  for (const root of roots) {
    const [name, version] = splitSpec(root);
    const chosen = new Set();
    let pending = [[name, version]];
    while (pending.length) {
      const batch = pending.filter(([n, v]) => !chosen.has(`${n}@${v}`));
      pending = [];
      batch.forEach(([n, v]) => chosen.add(`${n}@${v}`));
      const packuments = await Promise.all(batch.map(([n]) => getPackument(n)));
      for (let i = 0; i < batch.length; i++) {
        const [n, v] = batch[i];
        const manifest = packuments[i].versions[v];
        if (!manifest) throw new Error(`${n}@${v} is not published`);
        for (const [key, spec] of edgesOf(manifest)) {
          const target = targetOf(key, String(spec));
          if (!target) continue;
          const packument = await getPackument(target[0]).catch(() => undefined);
          const resolved = packument && resolveRange(packument, target[1]);
          if (resolved && !chosen.has(`${target[0]}@${resolved}`)) pending.push([target[0], resolved]);
        }
      }
    }
    perRoot[root] = [...chosen].sort();
    perRoot[root].forEach(pair => all.add(pair));
  }
  return { perRoot, all: [...all].sort() };
}

/** A packument for verdaccio's storage: tarball URLs on registry.invalid. */
function storedPackument(packument) {
  const versions = {};
  for (const [version, manifest] of Object.entries(packument.versions)) {
    const file = path.posix.basename(new URL(manifest.dist.tarball).pathname);
    versions[version] = {
      ...manifest,
      dist: { ...manifest.dist, tarball: `${INVALID}/${packument.name}/-/${file}` },
    };
  }
  return { ...packument, versions, _attachments: {} };
}

function checkIntegrity(pair, bytes, dist) {
  const sri = String(dist.integrity || '')
    .split(/\s+/)
    .map(entry => /^(sha512|sha384|sha256|sha1)-(.+)$/.exec(entry))
    .filter(Boolean)[0];
  const [algorithm, expected] = sri
    ? [sri[1], Buffer.from(sri[2], 'base64').toString('hex')]
    : ['sha1', dist.shasum];
  if (!expected) throw new Error(`${pair}: the packument names no digest`);
  const actual = createHash(algorithm).update(bytes).digest('hex');
  if (actual !== expected) throw new Error(`${pair}: ${algorithm} ${actual} is not ${expected}`);
}

/** Runs `tasks` (functions answering promises), `limit` at a time. */
async function inParallel(tasks, limit) {
  const queue = [...tasks];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length) await queue.shift()();
  });
  await Promise.all(workers);
}

/**
 * Captures the corpus of `roots` from `registry` into `out`; answers the
 * closure list of each root. Exported for the script's own test.
 *
 * @param {{ registry: string, roots: string[], out: string, concurrency?: number, log?: (line: string) => void }} options
 * @returns {Promise<Record<string, string[]>>}
 */
async function captureNpmCorpus({ registry, roots, out, concurrency = 8, log = () => {} }) {
  const base = registry.replace(/\/+$/, '');
  const cache = new Map();
  const getPackument = name => {
    if (!cache.has(name)) {
      cache.set(
        name,
        (async () => {
          // The full document, not the abbreviated one: the corpus keeps
          // every field a mirror may read.
          const res = await fetch(`${base}/${name.replace('/', '%2f')}`, {
            headers: { accept: 'application/json' },
          });
          if (!res.ok) throw new Error(`GET ${name} answered ${res.status}`);
          return res.json();
        })(),
      );
    }
    return cache.get(name);
  };
  const { perRoot, all } = await closures(roots, getPackument);
  log(`${all.length} versions of ${new Set(all.map(p => splitSpec(p)[0])).size} packages`);

  const work = fs.mkdtempSync(path.join(out, '.capture-'));
  try {
    const storage = path.join(work, 'small');
    await inParallel(
      all.map(pair => async () => {
        const [name, version] = splitSpec(pair);
        const packument = await getPackument(name);
        const dist = packument.versions[version].dist;
        const res = await fetch(dist.tarball);
        if (!res.ok) throw new Error(`GET ${dist.tarball} answered ${res.status}`);
        const bytes = Buffer.from(await res.arrayBuffer());
        checkIntegrity(pair, bytes, dist);
        const dir = path.join(storage, name);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, path.posix.basename(new URL(dist.tarball).pathname)), bytes);
      }),
      concurrency,
    );
    for (const name of new Set(all.map(pair => splitSpec(pair)[0]))) {
      fs.writeFileSync(
        path.join(storage, name, 'package.json'),
        JSON.stringify(storedPackument(await getPackument(name)), null, 2),
      );
    }
    execFileSync('tar', ['-czf', path.join(out, 'npm-corpus.tar.gz'), '-C', work, 'small']);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const [root, list] of Object.entries(perRoot)) {
    const short = splitSpec(root)[0].split('/').pop();
    fs.writeFileSync(path.join(out, `npm-corpus.${short}.closure.txt`), `${list.join('\n')}\n`);
  }
  return perRoot;
}

async function main(argv) {
  const options = { registry: 'https://registry.npmjs.org', out: 'npm-corpus', concurrency: 8 };
  const roots = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--registry') options.registry = argv[++i];
    else if (flag === '--out') options.out = argv[++i];
    else if (flag === '--concurrency') options.concurrency = Number(argv[++i]);
    else if (flag.startsWith('--')) throw new Error(`unknown option ${flag}`);
    else roots.push(flag);
  }
  if (!roots.length) throw new Error('name at least one root, e.g. express@4.21.2');
  fs.mkdirSync(options.out, { recursive: true });
  const perRoot = await captureNpmCorpus({ ...options, roots, log: console.log });
  for (const [root, list] of Object.entries(perRoot)) console.log(`${root}: ${list.length} versions`);
  console.log(`wrote ${path.join(options.out, 'npm-corpus.tar.gz')}`);
}

module.exports = { captureNpmCorpus, closures, resolveRange, targetOf };

if (require.main === module) {
  main(process.argv.slice(2)).catch(error => {
    console.error(error.message);
    process.exit(1);
  });
}
