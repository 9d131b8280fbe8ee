import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { runCommand } from './serveBackend';

// The real Terraform CLI against a mirror. Terraform is not in Debian's
// package sources (nor is OpenTofu), so it is used where it is installed
// and the suites that need it are skipped elsewhere.

/** Whether `command args` runs and exits 0. */
export function hasCommand(command: string, args = ['version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** `describe` where `terraform` is on the PATH, else `describe.skip` (it is not installable from Debian). */
export const describeWithTerraform = hasCommand('terraform') ? describe : describe.skip;

/** `describe` where `terraform` and `openssl` (for the https front a network mirror needs) are there. */
export const describeWithTerraformAndTls =
  hasCommand('terraform') && hasCommand('openssl') ? describe : describe.skip;

/**
 * An https front on 127.0.0.1 forwarding every request to `target`
 * (`http://host:port`), with a self-signed certificate for `localhost`
 * made by openssl under `work`: Terraform speaks only https to network
 * mirrors. `caFile` is the certificate, for `SSL_CERT_FILE`.
 */
export async function startTlsFront(
  target: string,
  work: string,
): Promise<{ origin: string; caFile: string; close(): Promise<void> }> {
  const key = path.join(work, 'tls-key.pem');
  const caFile = path.join(work, 'tls-cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost',
  ], { stdio: 'ignore' });
  const server = https.createServer(
    { key: await fs.readFile(key), cert: await fs.readFile(caFile) },
    (req, res) => {
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    },
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://localhost:${port}`,
    caFile,
    close: async () => {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/**
 * Runs `terraform init` in a new configuration under `work` requiring
 * `source` at `version`, with `cliConfig` as the only CLI configuration
 * (its `provider_installation` decides where providers come from) and
 * no checkpoint calls. Answers the configuration's directory and the
 * lock file Terraform wrote; throws with Terraform's output when it fails.
 */
export async function terraformInit(options: {
  work: string;
  cliConfig: string;
  source: string;
  version: string;
  /** A `.netrc` in the home directory Terraform runs with. */
  netrc?: string;
  env?: Record<string, string>;
}): Promise<{ dir: string; lockFile: string }> {
  const dir = path.join(options.work, `tf-${Date.now()}`);
  await fs.mkdir(dir, { recursive: true });
  const cliConfigFile = path.join(dir, 'terraform.rc');
  await fs.writeFile(cliConfigFile, options.cliConfig);
  if (options.netrc) await fs.writeFile(path.join(dir, '.netrc'), options.netrc, { mode: 0o600 });
  await fs.writeFile(
    path.join(dir, 'main.tf'),
    `terraform {\n  required_providers {\n    p = {\n      source  = "${options.source}"\n      version = "${options.version}"\n    }\n  }\n}\n`,
  );
  const result = await runCommand('terraform', ['init', '-input=false', '-no-color'], {
    cwd: dir,
    env: {
      TF_CLI_CONFIG_FILE: cliConfigFile,
      TF_DATA_DIR: path.join(dir, '.terraform'),
      TF_PLUGIN_CACHE_DIR: '',
      CHECKPOINT_DISABLE: '1',
      HOME: dir,
      ...options.env,
    },
  });
  if (result.code !== 0) throw new Error(`terraform init failed (${result.code}):\n${result.output}`);
  return { dir, lockFile: await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8') };
}

/** The hashes a lock file records for a provider source. */
export function lockedHashes(lockFile: string, source: string): string[] {
  const block = lockFile.split(`provider "${source}"`)[1]?.split('\n}')[0] ?? '';
  return [...block.matchAll(/"((?:h1|zh):[^"]+)"/g)].map(m => m[1]);
}
