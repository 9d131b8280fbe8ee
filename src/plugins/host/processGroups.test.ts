import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isAlive, waitFor, writeTestPlugin } from './__testUtils__/testPlugin';

// A backend that exits without closing its hosts (process.exit in a
// handler, a fatal error) must not leave its plugins behind.
describe('plugin processes when the backend exits', () => {
  it('kills the plugins and what they started, even ones that ignore the end of stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backpack-exit-'));
    const script = join(dir, 'backend.ts');
    writeFileSync(
      script,
      `
import { PluginHost } from ${JSON.stringify(join(__dirname, 'index'))};
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } };
const host = new PluginHost({
  label: 'stubborn', command: ${JSON.stringify(writeTestPlugin())}, logger: quiet as any,
  protocol: 'test', protocolVersions: [1], env: { STUBBORN: '1' },
});
(async () => {
  const pids = [await host.request('pid', {}), await host.request('spawn', {})];
  process.stdout.write(JSON.stringify(pids));
  process.exit(0);
})();
`,
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--require', require.resolve('@backstage/cli/config/nodeTransform.cjs'), script],
      { timeout: 30_000 },
    );
    const [pid, grandchild] = JSON.parse(stdout) as number[];
    expect(pid).toEqual(expect.any(Number));
    await waitFor(() => !isAlive(pid) && !isAlive(grandchild));
  });
});
