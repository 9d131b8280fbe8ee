#!/usr/bin/env node
/*
 * backpack-verify-bundle: checks a received Backpack export bundle against
 * its manifest before it is unpacked.
 *
 *   node bin/backpack-verify-bundle.js [--reject-unverified] <directory>
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
 *    and nothing unlisted sits between entries.
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

function verify(directory, report) {
  const manifestPath = path.join(directory, 'manifest.json');
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
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
  if (manifest.totalFiles !== undefined && manifest.totalFiles !== manifest.files.length) {
    report('CORRUPT', 'manifest.json', `totalFiles ${manifest.totalFiles}, but ${manifest.files.length} files listed`);
  }
  return {
    files: manifest.files.length,
    parts: manifest.parts.length,
    unverified: manifest.files.filter(file => file.verified === false).map(file => file.path),
  };
}

function main(argv) {
  const args = argv.slice(2);
  const rejectUnverified = args[0] === '--reject-unverified';
  if (rejectUnverified) args.shift();
  const directory = args[0];
  if (!directory || args.length > 1 || directory === '-h' || directory === '--help') {
    process.stderr.write(
      'Usage: backpack-verify-bundle [--reject-unverified] <directory with manifest.json and part-*.tar>\n',
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
    counts = verify(directory, report);
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
  process.stdout.write(`OK: ${counts.files} files, ${counts.parts} parts${unverified}\n`);
  return 0;
}

process.exitCode = main(process.argv);
