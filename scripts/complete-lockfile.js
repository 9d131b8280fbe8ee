#!/usr/bin/env node
/*
 * Completes package-lock.json with the optional, platform-specific packages
 * that the npm registry reachable from our build machines does not serve
 * (e.g. @swc/core-darwin-arm64). `npm install` skips them silently and leaves
 * them out of the lock file, after which `npm ci` refuses the lock file as
 * out of sync. Each missing optional dependency gets an entry marked
 * optional, with the os/cpu it is built for when the name says so, so that
 * `npm ci` skips it on other platforms exactly as it would with a lock file
 * written against the public registry.
 *
 * Run it after every `npm install` that changes the lock file:
 *   node scripts/complete-lockfile.js
 */
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = OS.find(o => parts.includes(o));
  const cpu = CPU.find(c => parts.includes(c) || parts.some(p => p.startsWith(c) && c === 'arm'));
  return { os, cpu };
}

/** Where node would find `dep` from the package at `from`. */
function resolves(from, dep) {
  for (let dir = from; ; ) {
    const candidate = dir ? `${dir}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[candidate]) return true;
    if (!dir) return false;
    const index = dir.lastIndexOf('/node_modules/');
    dir = index === -1 ? '' : dir.slice(0, index);
  }
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolves(location, dep)) continue;
    const { os, cpu } = platformOf(dep);
    const stub = { version: spec.replace(/^[\^~=]/, ''), optional: true };
    if (entry.dev) stub.dev = true;
    if (os) stub.os = [os];
    if (cpu) stub.cpu = [cpu];
    // Hoisted like npm would, unless another version already sits there.
    const hoisted = `node_modules/${dep}`;
    packages[packages[hoisted] ? `${location}/node_modules/${dep}` : hoisted] = stub;
    added += 1;
  }
}

fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform packages`);
