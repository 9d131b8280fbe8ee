#!/usr/bin/env node
/*
 * backpack-verify-bundle: checks a received Backpack export bundle against
 * its manifest before it is unpacked.
 *
 *   node bin/backpack-verify-bundle.js [--reject-unverified] [--key <file>]... <directory>
 *
 * The directory holds `manifest.json` and the parts (`part-00001.tar`, ...)
 * as downloaded from `GET /api/backpack/exports/{id}/manifest` and
 * `.../parts/{n}`. It checks, and reports every problem it finds:
 *
 * 1. the manifest's seal: a sha256 over the manifest without its `seal`
 *    member as canonical JSON (keys sorted, no whitespace);
 * 2. each part's size and sha256;
 * 3. the tar stream the parts form (concatenated in order): every entry's
 *    header names the listed path and size, every file's bytes have the
 *    listed size and sha256, padding and the end of the archive are zeros,
 *    and nothing unlisted sits between entries (the CycloneDX SBOM,
 *    `sbom.cdx.json`, is one of them).
 *
 * A problem is printed as `MISSING <what>: <why>` or `CORRUPT <what>: <why>`;
 * the last line is `OK: <n> files, <m> parts` (exit status 0) or
 * `FAILED: <k> problems in <n> files, <m> parts` (exit status 1). Exit
 * status 2 means it could not run (usage, unreadable manifest).
 *
 * Files collected although their upstream declared no digest (where the
 * exporting side set `backpack.collection.unverifiedFiles: allow`) are
 * listed in the manifest with `"verified": false`. Each is printed as
 * `UNVERIFIED <path>: …` and counted on the last line
 * (`OK: <n> files, <m> parts, <u> unverified`); with `--reject-unverified`
 * each is a problem instead.
 *
 * With `--key` (repeatable, one per trusted key, so that bundles signed
 * before and after a key rotation both pass), the manifest must be signed:
 * `manifest.json.sig` beside it must be an SSH signature (namespace
 * `backpack-bundle`) over the manifest's bytes by one of the keys, and the
 * manifest's `signing.fingerprint` must name that key. A key file holds
 * public keys one a line (`ssh-ed25519 AAAA… comment`, as in `*.pub` or
 * `authorized_keys`) or is an `allowed_signers` file
 * (`backpack ssh-ed25519 AAAA…`). A missing, broken or untrusted
 * signature is a problem. The same check without this tool:
 * `ssh-keygen -Y verify -f allowed_signers -I backpack -n backpack-bundle
 * -s manifest.json.sig < manifest.json`.
 *
 * Plain Node.js (16 or later) without dependencies, so it runs on the
 * receiving side as it is.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const BLOCK = 512;
const CHUNK = 1024 * 1024;

/** Keys sorted at every level, no whitespace: what the seal covers. */
function canonicalJson(value) {
  if (Array.isArray(value)) {
    return `[${value.map(v => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter(key => value[key] !== undefined)
      .map(key => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The parts concatenated, read by offset; missing or short parts read as absent. */
class PartStream {
  constructor(directory, parts) {
    let start = 0;
    this.parts = parts.map(part => {
      const file = path.join(directory, part.name);
      let fd = null;
      let actualSize = 0;
      try {
        fd = fs.openSync(file, 'r');
        actualSize = fs.fstatSync(fd).size;
      } catch {
        fd = null;
      }
      const entry = { name: part.name, start, size: part.size, fd, actualSize };
      start += part.size;
      return entry;
    });
    this.size = start;
  }

  /**
   * Bytes [offset, offset + length), with the names of parts whose bytes in
   * that range are absent (read as zeros).
   */
  read(offset, length) {
    const buffer = Buffer.alloc(length);
    const absent = new Set();
    for (const part of this.parts) {
      const from = Math.max(offset, part.start);
      const to = Math.min(offset + length, part.start + part.size);
      if (from >= to) continue;
      const available = part.fd === null ? 0 : Math.max(0, Math.min(to, part.start + part.actualSize) - from);
      if (available > 0) {
        let done = 0;
        while (done < available) {
          const n = fs.readSync(part.fd, buffer, from - offset + done, available - done, from - part.start + done);
          if (n === 0) break;
          done += n;
        }
        if (done < to - from) absent.add(part.name);
      } else {
        absent.add(part.name);
      }
    }
    return { buffer, absent: [...absent] };
  }

  close() {
    for (const part of this.parts) if (part.fd !== null) fs.closeSync(part.fd);
  }
}

function parseOctal(field) {
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(block) {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return parseOctal(block.subarray(148, 156)) === sum;
}

function cString(field) {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function paxRecords(data) {
  const records = {};
  let rest = data;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = parseInt(rest.subarray(0, space).toString('ascii'), 10);
    if (!(length > 0) || space < 0) break;
    const record = rest.subarray(space + 1, length - 1).toString('utf8');
    const eq = record.indexOf('=');
    records[record.slice(0, eq)] = record.slice(eq + 1);
    rest = rest.subarray(length);
  }
  return records;
}

/**
 * Parses the header blocks of one entry (pax extended headers, then the
 * ustar header); answers the entry's path and size, or what is wrong.
 */
function parseHeaders(region) {
  let pax = {};
  for (let at = 0; at < region.length; ) {
    const block = region.subarray(at, at + BLOCK);
    if (!checksumOk(block)) return { error: 'tar header checksum mismatch' };
    const type = String.fromCharCode(block[156] || 0x30);
    const size = parseOctal(block.subarray(124, 136));
    at += BLOCK;
    if (type === 'x' || type === 'g') {
      const dataLength = Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'x') pax = { ...pax, ...paxRecords(region.subarray(at, at + size)) };
      at += dataLength;
      continue;
    }
    if (type !== '0') return { error: `unexpected tar entry type '${type}'` };
    if (at !== region.length) return { error: 'unlisted content after the header' };
    const prefix = cString(block.subarray(345, 500));
    const name = cString(block.subarray(0, 100));
    const ustarPath = prefix ? `${prefix}/${name}` : name;
    return {
      path: pax.path !== undefined ? pax.path : ustarPath,
      size: pax.size !== undefined ? Number(pax.size) : size,
    };
  }
  return { error: 'no tar header' };
}

function isZero(buffer) {
  for (const byte of buffer) if (byte !== 0) return false;
  return true;
}

function sha256OfFile(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

const SIGNATURE_NAMESPACE = 'backpack-bundle';

/** SSH wire-format `string`s and `uint32`s read one after the other. */
function sshReader(data) {
  let at = 0;
  const take = length => {
    if (at + length > data.length) throw new Error('ends early');
    const value = data.subarray(at, at + length);
    at += length;
    return value;
  };
  const uint32 = () => take(4).readUInt32BE(0);
  return { take, uint32, string: () => take(uint32()), done: () => at === data.length };
}

function sshString(value) {
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function fingerprintOf(publicKeyBlob) {
  return `SHA256:${crypto.createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The ssh-ed25519 public key blobs in key files (`*.pub`, `authorized_keys`, `allowed_signers`). */
function readTrustedKeys(files) {
  const keys = [];
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the key file ${file}: ${error.message}`);
    }
    let found = 0;
    for (const line of text.split('\n')) {
      if (/^\s*(#|$)/.test(line)) continue;
      const words = line.trim().split(/\s+/);
      const at = words.indexOf('ssh-ed25519');
      if (at === -1 || !words[at + 1]) continue;
      const blob = Buffer.from(words[at + 1], 'base64');
      keys.push({ blob, fingerprint: fingerprintOf(blob), file });
      found += 1;
    }
    if (found === 0) throw new Error(`${file} holds no ssh-ed25519 public key`);
  }
  return keys;
}

/**
 * Checks `manifest.json.sig` (OpenSSH's PROTOCOL.sshsig) over the
 * manifest's bytes against the trusted keys; answers what is wrong, or
 * the fingerprint of the key that signed.
 */
function checkSignature(manifestBytes, armored, trusted) {
  const match = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/.exec(armored);
  if (!match) return { error: 'not an armored SSH signature' };
  let parsed;
  try {
    const reader = sshReader(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
    if (reader.take(6).toString('binary') !== 'SSHSIG') return { error: 'not an SSHSIG signature' };
    const version = reader.uint32();
    if (version !== 1) return { error: `unknown SSHSIG version ${version}` };
    parsed = {
      publicKey: reader.string(),
      namespace: reader.string().toString('utf8'),
      reserved: reader.string(),
      hash: reader.string().toString('utf8'),
      signature: reader.string(),
    };
  } catch (error) {
    return { error: `corrupt SSH signature (${error.message})` };
  }
  const fingerprint = fingerprintOf(parsed.publicKey);
  if (parsed.namespace !== SIGNATURE_NAMESPACE) {
    return { error: `signed for namespace '${parsed.namespace}', not '${SIGNATURE_NAMESPACE}'`, fingerprint };
  }
  if (parsed.hash !== 'sha512' && parsed.hash !== 'sha256') {
    return { error: `unsupported hash '${parsed.hash}'`, fingerprint };
  }
  const key = trusted.find(k => k.blob.equals(parsed.publicKey));
  if (!key) return { error: `signed by ${fingerprint}, which is not a trusted key (--key)`, untrusted: true, fingerprint };
  try {
    const keyReader = sshReader(parsed.publicKey);
    if (keyReader.string().toString('utf8') !== 'ssh-ed25519') return { error: 'not an ssh-ed25519 key', fingerprint };
    const rawKey = keyReader.string();
    const sigReader = sshReader(parsed.signature);
    if (sigReader.string().toString('utf8') !== 'ssh-ed25519') return { error: 'not an ssh-ed25519 signature', fingerprint };
    const rawSignature = sigReader.string();
    const signedData = Buffer.concat([
      Buffer.from('SSHSIG'),
      sshString(parsed.namespace),
      sshString(parsed.reserved),
      sshString(parsed.hash),
      sshString(crypto.createHash(parsed.hash).update(manifestBytes).digest()),
    ]);
    const publicKey = crypto.createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: rawKey.toString('base64url') },
      format: 'jwk',
    });
    if (!crypto.verify(null, signedData, publicKey, rawSignature)) {
      return { error: `does not match the manifest (signed by ${fingerprint})`, fingerprint };
    }
  } catch (error) {
    return { error: `corrupt SSH signature (${error.message})`, fingerprint };
  }
  return { fingerprint };
}

function verify(directory, report, trustedKeys) {
  const manifestPath = path.join(directory, 'manifest.json');
  let manifest;
  let manifestBytes;
  try {
    manifestBytes = fs.readFileSync(manifestPath);
    manifest = JSON.parse(manifestBytes.toString('utf8'));
  } catch (error) {
    throw new Error(`cannot read ${manifestPath}: ${error.message}`);
  }
  if (!Array.isArray(manifest.files) || !Array.isArray(manifest.parts)) {
    throw new Error(`${manifestPath} is not a Backpack bundle manifest`);
  }

  // 1. The seal.
  const { seal, ...sealed } = manifest;
  const digest = crypto.createHash('sha256').update(canonicalJson(sealed)).digest('hex');
  if (!seal || seal.algorithm !== 'sha256') {
    report('CORRUPT', 'manifest.json', 'no sha256 seal');
  } else if (seal.digest !== digest) {
    report('CORRUPT', 'manifest.json', `seal mismatch: computed ${digest}, sealed ${seal.digest}`);
  }

  // The signature, over the manifest's exact bytes.
  let signedBy;
  if (trustedKeys.length > 0) {
    const signatureName = (manifest.signing && manifest.signing.signature) || 'manifest.json.sig';
    const signaturePath = path.join(directory, path.basename(signatureName));
    if (!fs.existsSync(signaturePath)) {
      report('MISSING', path.basename(signatureName), 'no signature beside the manifest, but --key asks for one');
    } else {
      const checked = checkSignature(manifestBytes, fs.readFileSync(signaturePath, 'utf8'), trustedKeys);
      if (checked.error) report(checked.untrusted ? 'UNTRUSTED' : 'CORRUPT', path.basename(signaturePath), checked.error);
      else if (!manifest.signing || manifest.signing.fingerprint !== checked.fingerprint) {
        report('CORRUPT', 'manifest.json', `names signing key ${manifest.signing && manifest.signing.fingerprint}, but ${checked.fingerprint} signed it`);
      } else signedBy = checked.fingerprint;
    }
  }

  // 2. The parts.
  for (const part of manifest.parts) {
    const file = path.join(directory, part.name);
    if (!fs.existsSync(file)) {
      report('MISSING', part.name, 'not in the directory');
      continue;
    }
    const size = fs.statSync(file).size;
    if (size !== part.size) {
      report('CORRUPT', part.name, `size ${size}, expected ${part.size}`);
      continue;
    }
    const actual = sha256OfFile(file);
    if (actual !== part.sha256) {
      report('CORRUPT', part.name, `sha256 ${actual}, expected ${part.sha256}`);
    }
  }

  // 3. The tar stream, entry by entry as the manifest lists them.
  const stream = new PartStream(directory, manifest.parts);
  try {
    let position = 0;
    for (const file of manifest.files) {
      const headerLength = file.offset - position;
      if (!(headerLength > 0) || headerLength % BLOCK !== 0 || headerLength > 64 * BLOCK) {
        report('CORRUPT', file.path, `listed at offset ${file.offset}, which cannot follow the previous entry`);
        position = file.offset + Math.ceil(file.size / BLOCK) * BLOCK;
        continue;
      }
      const header = stream.read(position, headerLength);
      const absent = new Set(header.absent);
      const hash = crypto.createHash('sha256');
      for (let at = 0; at < file.size; at += CHUNK) {
        const chunk = stream.read(file.offset + at, Math.min(CHUNK, file.size - at));
        chunk.absent.forEach(name => absent.add(name));
        hash.update(chunk.buffer);
      }
      const padding = stream.read(file.offset + file.size, (BLOCK - (file.size % BLOCK)) % BLOCK);
      padding.absent.forEach(name => absent.add(name));

      if (absent.size > 0) {
        report('MISSING', file.path, `its bytes are in ${[...absent].join(', ')}, which is missing or short`);
      } else {
        const parsed = parseHeaders(header.buffer);
        const actual = hash.digest('hex');
        if (parsed.error) report('CORRUPT', file.path, parsed.error);
        else if (parsed.path !== file.path) report('CORRUPT', file.path, `tar header names '${parsed.path}'`);
        else if (parsed.size !== file.size) {
          report('CORRUPT', file.path, `tar header says ${parsed.size} bytes, expected ${file.size}`);
        }
        if (actual !== file.sha256) {
          report('CORRUPT', file.path, `sha256 ${actual}, expected ${file.sha256}`);
        } else if (!isZero(padding.buffer)) {
          report('CORRUPT', file.path, 'the padding after it is not zeros');
        }
      }
      position = file.offset + file.size + padding.buffer.length;
    }
    const end = stream.read(position, stream.size - position);
    if (end.absent.length > 0) report('MISSING', 'end of archive', `in ${end.absent.join(', ')}`);
    else if (end.buffer.length < 2 * BLOCK || !isZero(end.buffer)) {
      report('CORRUPT', 'end of archive', 'not the two zero blocks that end a tar stream');
    }
  } finally {
    stream.close();
  }
  if (manifest.sbom !== undefined && !manifest.files.some(file => file.path === manifest.sbom)) {
    report('MISSING', String(manifest.sbom), 'the manifest names it as the SBOM but does not list it');
  }
  if (manifest.totalFiles !== undefined && manifest.totalFiles !== manifest.files.length) {
    report('CORRUPT', 'manifest.json', `totalFiles ${manifest.totalFiles}, but ${manifest.files.length} files listed`);
  }
  return {
    files: manifest.files.length,
    parts: manifest.parts.length,
    unverified: manifest.files.filter(file => file.verified === false).map(file => file.path),
    signedBy,
  };
}

function main(argv) {
  const args = argv.slice(2);
  let rejectUnverified = false;
  const keyFiles = [];
  const rest = [];
  let usage = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--reject-unverified') rejectUnverified = true;
    else if (args[i] === '--key' && i + 1 < args.length) keyFiles.push(args[++i]);
    else if (args[i].startsWith('--key=')) keyFiles.push(args[i].slice('--key='.length));
    else if (args[i].startsWith('-')) usage = true;
    else rest.push(args[i]);
  }
  const directory = rest[0];
  if (usage || !directory || rest.length > 1) {
    process.stderr.write(
      'Usage: backpack-verify-bundle [--reject-unverified] [--key <public key or allowed_signers file>]... ' +
        '<directory with manifest.json and part-*.tar>\n',
    );
    return 2;
  }
  let problems = 0;
  const report = (kind, what, why) => {
    problems += 1;
    process.stdout.write(`${kind} ${what}: ${why}\n`);
  };
  let counts;
  try {
    counts = verify(directory, report, readTrustedKeys(keyFiles));
  } catch (error) {
    process.stderr.write(`backpack-verify-bundle: ${error.message}\n`);
    return 2;
  }
  // Files the exporting side collected without a digest declared upstream.
  for (const entry of counts.unverified) {
    const why = 'collected although its upstream declared no digest';
    if (rejectUnverified) report('UNVERIFIED', entry, `${why} (--reject-unverified)`);
    else process.stdout.write(`UNVERIFIED ${entry}: ${why}\n`);
  }
  const unverified = counts.unverified.length > 0 ? `, ${counts.unverified.length} unverified` : '';
  if (problems > 0) {
    process.stdout.write(`FAILED: ${problems} problems in ${counts.files} files, ${counts.parts} parts${unverified}\n`);
    return 1;
  }
  const signed = counts.signedBy ? `, signed by ${counts.signedBy}` : '';
  process.stdout.write(`OK: ${counts.files} files, ${counts.parts} parts${unverified}${signed}\n`);
  return 0;
}

process.exitCode = main(process.argv);
