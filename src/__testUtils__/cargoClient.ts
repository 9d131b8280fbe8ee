import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CommandResult, runCommand } from './serveBackend';

// The real Cargo, with a CARGO_HOME of its own (empty cache, no user
// config) whose only registry is the one given, replacing crates.io.

/** Cargo on PATH, or where rustup installs it; undefined when the machine has none. */
export const cargoBinary = [
  ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map(dir => path.join(dir, 'cargo')),
  path.join(os.homedir(), '.cargo', 'bin', 'cargo'),
].find(candidate => existsSync(candidate));

/** `describe` where Cargo is installed, else `describe.skip` (nothing to run the client test with). */
export const describeWithCargo = cargoBinary ? describe : describe.skip;

/** A consumer project and the Cargo that builds it. */
export interface CargoConsumer {
  /** The project directory. */
  dir: string;
  /** The CARGO_HOME, with the downloaded `.crate` files under `registry/cache/`. */
  home: string;
  /** Runs cargo in the project; throws with its output unless it succeeds. */
  cargo(args: string[]): Promise<CommandResult>;
}

/**
 * A binary project under `work` depending on `dependencies` (crates.io
 * dependencies, as a project in the air-gapped network declares them),
 * with crates.io replaced by the sparse registry at `index` (named
 * `backpack`), and `token` as that registry's token when given.
 */
export async function cargoConsumer(options: {
  work: string;
  index: string;
  token?: string;
  dependencies: Record<string, string>;
  main: string;
}): Promise<CargoConsumer> {
  const dir = path.join(options.work, 'consumer');
  const home = path.join(options.work, 'cargo-home');
  await fs.mkdir(path.join(dir, 'src'), { recursive: true });
  await fs.mkdir(home, { recursive: true });
  const deps = Object.entries(options.dependencies).map(([name, req]) => `${JSON.stringify(name)} = ${JSON.stringify(req)}`);
  await fs.writeFile(
    path.join(dir, 'Cargo.toml'),
    ['[package]', 'name = "consumer"', 'version = "0.1.0"', 'edition = "2021"', '', '[dependencies]', ...deps, ''].join('\n'),
  );
  await fs.writeFile(path.join(dir, 'src', 'main.rs'), options.main);
  await fs.writeFile(
    path.join(home, 'config.toml'),
    [
      '[source.crates-io]',
      'replace-with = "backpack"',
      '',
      '[registry]',
      'global-credential-providers = ["cargo:token"]',
      '',
      '[net]',
      'retry = 0',
      '',
    ].join('\n'),
  );
  const env: Record<string, string> = {
    CARGO_HOME: home,
    RUSTUP_HOME: process.env.RUSTUP_HOME ?? path.join(os.homedir(), '.rustup'),
    CARGO_REGISTRIES_BACKPACK_INDEX: `sparse+${options.index}`,
    CARGO_TARGET_DIR: path.join(options.work, 'target'),
    CARGO_TERM_COLOR: 'never',
    CARGO_NET_OFFLINE: 'false',
    ...(options.token ? { CARGO_REGISTRIES_BACKPACK_TOKEN: options.token } : {}),
  };
  return {
    dir,
    home,
    async cargo(args) {
      const result = await runCommand(cargoBinary!, args, { cwd: dir, env, timeoutMs: 300_000 });
      if (result.code !== 0) throw new Error(`cargo ${args.join(' ')} failed (${result.code}):\n${result.output}`);
      return result;
    },
  };
}
