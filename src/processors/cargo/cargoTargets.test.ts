import { targetApplies, targetCfg } from './cargoTargets';

const LINUX = 'x86_64-unknown-linux-gnu';
const WINDOWS = 'x86_64-pc-windows-msvc';
const MAC = 'aarch64-apple-darwin';
const WASM = 'wasm32-unknown-unknown';

describe('targetApplies', () => {
  it.each([
    ['cfg(windows)', [WINDOWS], true],
    ['cfg(windows)', [LINUX, MAC], false],
    ['cfg(unix)', [MAC], true],
    ['cfg(not(unix))', [LINUX], false],
    ['cfg(target_os = "macos")', [MAC], true],
    ['cfg(target_os = "linux")', [MAC, WINDOWS], false],
    ['cfg(all(target_arch = "x86_64", target_env = "msvc"))', [WINDOWS], true],
    ['cfg(all(target_arch = "x86_64", target_env = "msvc"))', [LINUX], false],
    ['cfg(any(target_family = "wasm", windows))', [WASM], true],
    ['cfg(target_pointer_width = "32")', [WASM], true],
    ['cfg(target_pointer_width = "32")', [LINUX], false],
    [LINUX, [LINUX], true],
    [WINDOWS, [LINUX], false],
    // Undecidable or unparsable: the dependency is kept.
    ['cfg(target_feature = "sse2")', [LINUX], true],
    ['cfg(not(target_feature = "sse2"))', [LINUX], true],
    ['cfg(all(windows, target_feature = "crt-static"))', [LINUX], false],
    ['cfg(windows', [LINUX], true],
  ])('%s for %j: %s', (target, triples, expected) => {
    expect(targetApplies(target, triples)).toBe(expected);
  });

  it('works out cfg values from a triple', () => {
    const cfg = targetCfg('aarch64-linux-android');
    expect(cfg.get('target_os')).toEqual(new Set(['android']));
    expect(cfg.get('target_family')).toEqual(new Set(['unix']));
    expect(cfg.get('target_arch')).toEqual(new Set(['aarch64']));
  });
});
