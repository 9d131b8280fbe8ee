import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from './serveBackend';

// The real Composer (Debian's, with php-cli), pointed at one Composer
// repository (a view of the plugin, or a static server over an unpacked
// bundle) and nothing else: Packagist disabled, an empty COMPOSER_HOME and
// cache, credentials only through COMPOSER_AUTH.

function installed(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Whether composer and php run here (CI installs them; a developer machine may not have them). */
export const canRunComposer = installed('php', ['-v']) && installed('composer', ['--version', '--no-interaction']);

/** `describe` where Composer can run, else `describe.skip`. */
export const describeWithComposer = canRunComposer ? describe : describe.skip;

/**
 * Runs `composer install` of a new consumer project under `work` that
 * requires `require`, from the Composer repository at `repository` alone;
 * with `token`, sent as http-basic (the token as the password). Answers
 * the project directory; throws with Composer's output when it fails.
 */
export async function composerInstall(options: {
  work: string;
  repository: string;
  require: Record<string, string>;
  token?: string;
}): Promise<string> {
  const { work, repository, require, token } = options;
  const project = await fs.mkdtemp(path.join(work, 'consumer-'));
  const home = path.join(project, '.composer-home');
  await fs.writeFile(
    path.join(project, 'composer.json'),
    JSON.stringify(
      {
        name: 'consumer/project',
        require,
        repositories: [{ type: 'composer', url: repository }, { 'packagist.org': false }],
        // The mirror is plain http on 127.0.0.1 in tests.
        config: { 'secure-http': false },
      },
      null,
      2,
    ),
  );
  const env: Record<string, string> = {
    COMPOSER_HOME: home,
    COMPOSER_CACHE_DIR: path.join(home, 'cache'),
    COMPOSER_NO_INTERACTION: '1',
    COMPOSER_ALLOW_SUPERUSER: '1',
    COMPOSER_DISABLE_NETWORK: '0',
    HOME: home,
  };
  if (token) {
    const origin = new URL(repository).host;
    env.COMPOSER_AUTH = JSON.stringify({ 'http-basic': { [origin]: { username: 'token', password: token } } });
  }
  const result = await runCommand('composer', ['install', '--no-progress', '--no-ansi'], {
    cwd: project,
    env,
    timeoutMs: 180_000,
  });
  if (result.code !== 0) throw new Error(`composer install failed:\n${result.output}`);
  return project;
}

/** Runs PHP code in `project` after its autoloader; answers stdout. */
export async function phpWithAutoload(project: string, code: string): Promise<string> {
  const result = await runCommand('php', ['-r', `require 'vendor/autoload.php'; ${code}`], {
    cwd: project,
    env: { HOME: os.tmpdir() },
    timeoutMs: 30_000,
  });
  if (result.code !== 0) throw new Error(`php failed:\n${result.output}`);
  return result.output;
}
