import { parseWheelFilename, wheelMatcher } from './wheelTags';

const matches = (filename: string, pythonVersions?: string[], platforms?: string[]) =>
  wheelMatcher({ pythonVersions, platforms })(parseWheelFilename(filename)!);

describe('wheel tags', () => {
  it('reads the tags from file names, with or without a build tag', () => {
    expect(parseWheelFilename('foo-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')).toEqual({
      pythonTags: ['cp311'],
      abiTags: ['cp311'],
      platformTags: ['manylinux_2_17_x86_64', 'manylinux2014_x86_64'],
    });
    expect(parseWheelFilename('foo-1.0.tar.gz')).toBeUndefined();
    expect(parseWheelFilename('foo-1.0.whl')).toBeUndefined();
  });

  it('matches python tags as pip does', () => {
    expect(matches('f-1-py3-none-any.whl', ['3.8'])).toBe(true);
    expect(matches('f-1-py2.py3-none-any.whl', ['3.12'])).toBe(true);
    expect(matches('f-1-py2-none-any.whl', ['3.12'])).toBe(false);
    expect(matches('f-1-py38-none-any.whl', ['3.12'])).toBe(true);
    expect(matches('f-1-py312-none-any.whl', ['3.11'])).toBe(false);
    expect(matches('f-1-cp38-abi3-win_amd64.whl', ['3.12'])).toBe(true);
    expect(matches('f-1-cp312-abi3-win_amd64.whl', ['3.11'])).toBe(false);
    expect(matches('f-1-cp311-cp311-win_amd64.whl', ['3.11'])).toBe(true);
    expect(matches('f-1-cp311-cp311-win_amd64.whl', ['3.12'])).toBe(false);
    expect(matches('f-1-pp310-pypy310_pp73-win_amd64.whl', ['3.10'])).toBe(false);
    // Nothing configured: every wheel
    expect(matches('f-1-pp310-pypy310_pp73-win_amd64.whl')).toBe(true);
  });

  it('matches platform tags by OS, architecture and glibc/musl/macOS version', () => {
    const linux = ['manylinux_2_17_x86_64'];
    expect(matches('f-1-py3-none-any.whl', undefined, linux)).toBe(true);
    expect(matches('f-1-cp311-cp311-manylinux1_x86_64.whl', undefined, linux)).toBe(true);
    expect(matches('f-1-cp311-cp311-manylinux2014_x86_64.whl', undefined, linux)).toBe(true);
    expect(matches('f-1-cp311-cp311-manylinux_2_28_x86_64.whl', undefined, linux)).toBe(false);
    expect(matches('f-1-cp311-cp311-manylinux_2_17_aarch64.whl', undefined, linux)).toBe(false);
    expect(matches('f-1-cp311-cp311-musllinux_1_1_x86_64.whl', undefined, linux)).toBe(false);
    expect(matches('f-1-cp311-cp311-musllinux_1_1_x86_64.whl', undefined, ['musllinux_1_2_x86_64'])).toBe(true);
    expect(matches('f-1-cp311-cp311-manylinux_2_28_x86_64.whl', undefined, ['linux_x86_64'])).toBe(true);

    const mac = ['macosx_11_0_arm64'];
    expect(matches('f-1-cp311-cp311-macosx_10_9_universal2.whl', undefined, mac)).toBe(true);
    expect(matches('f-1-cp311-cp311-macosx_11_0_arm64.whl', undefined, mac)).toBe(true);
    expect(matches('f-1-cp311-cp311-macosx_14_0_arm64.whl', undefined, mac)).toBe(false);
    expect(matches('f-1-cp311-cp311-macosx_10_9_x86_64.whl', undefined, mac)).toBe(false);

    expect(matches('f-1-cp311-cp311-win_amd64.whl', undefined, ['win_amd64'])).toBe(true);
    expect(matches('f-1-cp311-cp311-win32.whl', undefined, ['win_amd64'])).toBe(false);
    expect(matches('f-1-cp311-cp311-emscripten_3_1_wasm32.whl', undefined, ['emscripten_3_1_wasm32'])).toBe(true);
  });

  it('needs the python and the platform of some target', () => {
    const targets = [['3.11', '3.12'], ['win_amd64', 'manylinux_2_17_x86_64']] as const;
    expect(matches('f-1-cp312-cp312-win_amd64.whl', [...targets[0]], [...targets[1]])).toBe(true);
    expect(matches('f-1-cp310-cp310-win_amd64.whl', [...targets[0]], [...targets[1]])).toBe(false);
    expect(matches('f-1-cp312-cp312-macosx_11_0_arm64.whl', [...targets[0]], [...targets[1]])).toBe(false);
  });
});
