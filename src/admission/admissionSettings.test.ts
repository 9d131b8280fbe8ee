import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createNpmProcessor } from '../processors/npm';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { UpstreamClient } from '../upstream/UpstreamClient';
import { artifactAdmissionSettingsInput } from '../artifacts/artifactInput';
import { artifactAdmissionInput, durationMs, effectiveSettings, readGlobalAdmissionSettings } from './admissionSettings';
import { AdmissionService } from './AdmissionService';
import { checkLicense } from './checks/licenses';

const npm = createNpmProcessor({ upstream: new UpstreamClient({ retries: 0 }) });

describe('admission settings', () => {
  it('refuses bad artifact settings with an InputError naming the field', () => {
    const refusal = (value: unknown) => {
      try {
        artifactAdmissionSettingsInput(npm, artifactAdmissionInput(value));
      } catch (error) {
        return error instanceof InputError ? error.message : `not an InputError: ${error}`;
      }
      return 'accepted';
    };
    expect(refusal({ licenses: { unknown: 'maybe' } })).toMatch(/^admission\.licenses\.unknown: /);
    expect(refusal({ minimumReleaseAge: 'soon' })).toMatch(/^admission\.minimumReleaseAge: 'soon' is not a duration/);
    expect(refusal({ maximumFileSize: -1 })).toMatch(/^admission\.maximumFileSize: /);
    expect(refusal({ deny: ['not a range ((('] })).toBe("admission.deny[0]: 'not a range (((' is not a valid version range");
    expect(refusal({ alow: ['1.0.0'] })).toMatch(/admission\.alow: Unknown key/);
    expect(artifactAdmissionSettingsInput(npm, artifactAdmissionInput({ deny: ['<2'], minimumReleaseAge: '12h' }))).toEqual({
      deny: ['<2'],
      minimumReleaseAge: '12h',
    });
  });

  it('reads the global settings and stops the start on a mistake, naming the key', () => {
    const read = (admission: object) => () =>
      readGlobalAdmissionSettings(new ConfigReader({ backpack: { admission } } as never));
    expect(read({ yanked: 'nope' })).toThrow(/^Invalid config backpack\.admission\.yanked: /);
    expect(read({ deny: [{ processor: 'npm' }] })).toThrow(/backpack\.admission\.deny\[0\]\.id: Required/);
    expect(read({ minimumReleaseAge: '3d', external: [{ name: 'x', command: ['y'] }], cacheSize: 5 })()).toEqual({
      minimumReleaseAge: '3d',
    });
  });

  it('merges global and artifact settings; durations in any config form', () => {
    expect(durationMs('3d')).toBe(3 * 24 * 3_600_000);
    expect(durationMs('P1D')).toBe(24 * 3_600_000);
    expect(durationMs('0')).toBe(0);
    const settings = effectiveSettings(
      {
        deny: [{ processor: 'npm', id: 'Left-Pad', versions: '<2' }, { processor: 'npm', id: 'other' }],
        licenses: { allow: ['MIT'] },
        minimumReleaseAge: '3d',
      },
      { processor: 'npm', id: 'left-pad', admission: { deny: ['3.0.0'], minimumReleaseAge: '1h' } },
      (a, b) => a.toLowerCase() === b,
    );
    expect(settings).toEqual({
      allow: [],
      deny: [
        { versions: '<2', source: 'backpack.admission.deny', reason: undefined },
        { versions: '3.0.0', source: 'artifact admission.deny' },
      ],
      unlisted: 'allow',
      licenses: { allow: ['MIT'], deny: undefined, unknown: 'allow' },
      minimumReleaseAgeMs: 3_600_000,
      yanked: 'allow',
      deprecated: 'allow',
    });
  });

  it('evaluates SPDX expressions: OR needs one side, AND both, + and WITH as ids', () => {
    const policy = { allow: ['MIT', 'Apache-2.0', 'GPL-2.0-or-later'], deny: ['AGPL-3.0-only'], unknown: 'deny' as const };
    expect(checkLicense('MIT OR AGPL-3.0-only', policy).decision).toBe('allow');
    expect(checkLicense('MIT AND AGPL-3.0-only', policy)).toEqual({
      decision: 'deny',
      reason: 'license MIT AND AGPL-3.0-only: AGPL-3.0-only is denied',
    });
    expect(checkLicense('GPL-2.0+', policy).decision).toBe('allow');
    expect(checkLicense('Apache-2.0 WITH LLVM-exception', policy).decision).toBe('allow');
    expect(checkLicense('(BSD-3-Clause OR ISC)', policy)).toMatchObject({ decision: 'deny' });
    expect(checkLicense(undefined, policy)).toEqual({ decision: 'deny', reason: 'no license declared' });
    expect(checkLicense('x'.repeat(5000), policy)).toMatchObject({ decision: 'deny', reason: expect.stringMatching(/is not an SPDX expression/) });
  });

  it('clears cached verdicts when the policy changes, and keeps the old policy when a reload is broken', async () => {
    const processors = new ProcessorRegistry();
    processors.add(npm);
    let calls = 0;
    const logger = mockServices.logger.mock();
    const service = new AdmissionService({
      processors,
      checks: [
        {
          name: 'count',
          check: async () => {
            calls += 1;
            return { decision: 'allow' };
          },
        },
      ],
      settings: {},
      logger,
    });
    const request = { processor: 'npm', id: 'a', version: '1.0.0', config: {}, metadata: { files: [] }, path: [] };
    await Promise.all([service.decide(request), service.decide(request)]);
    await service.decide(request);
    expect(calls).toBe(1);
    const revision = service.revision;
    service.reloadFrom(new ConfigReader({ backpack: { admission: { yanked: 'bad' } } }));
    expect(service.revision).toBe(revision);
    expect(() => service.setSettings({ allow: [{ processor: 'npm', id: 'x', versions: '((' }] })).toThrow(
      "backpack.admission.allow[0].versions: '((' is not a valid semver range",
    );
    expect(service.revision).toBe(revision);
    service.reloadFrom(new ConfigReader({ backpack: { admission: { yanked: 'deny' } } }));
    expect(service.revision).not.toBe(revision);
    await service.decide(request);
    expect(calls).toBe(2);
    // A processor turned off: its entries match nothing, with a warning.
    service.setSettings({ deny: [{ processor: 'cargo', id: 'x' }] });
    expect(logger.warn).toHaveBeenCalledWith(
      "backpack.admission.deny[0].processor: no processor 'cargo' is registered; the entry matches nothing",
    );
    await service.decide(request);
    expect(calls).toBe(3);
    // An artifact's own settings are a revision of their own.
    await service.decide(request, { deprecated: 'deny' });
    expect(calls).toBe(4);
  });

  it('keeps at most cacheSize settled verdicts, the oldest going first, and refuses a bad size naming the key', async () => {
    const processors = new ProcessorRegistry();
    processors.add(npm);
    const asked: string[] = [];
    const service = new AdmissionService({
      processors,
      checks: [
        {
          name: 'count',
          check: async request => {
            asked.push(request.version);
            return { decision: 'allow' };
          },
        },
      ],
      settings: {},
      logger: mockServices.logger.mock(),
      cacheSize: 2,
    });
    const decide = (version: string) =>
      service.decide({ processor: 'npm', id: 'a', version, config: {}, metadata: { files: [] }, path: [] });
    const verdicts = [await decide('1.0.0'), await decide('2.0.0'), await decide('3.0.0')];
    expect(verdicts.map(v => v.decision)).toEqual(['allow', 'allow', 'allow']);
    // 1.0.0 went first; 2.0.0 and 3.0.0 are answered from the cache.
    await decide('2.0.0');
    await decide('3.0.0');
    expect(asked).toEqual(['1.0.0', '2.0.0', '3.0.0']);
    await decide('1.0.0');
    expect(asked).toEqual(['1.0.0', '2.0.0', '3.0.0', '1.0.0']);
    // A cached answer is the same verdict as the one first given.
    expect(await decide('3.0.0')).toEqual(verdicts[2]);

    const fromConfig = (cacheSize: number) => () =>
      AdmissionService.fromConfig(new ConfigReader({ backpack: { admission: { cacheSize } } }), {
        processors,
        checks: [],
        logger: mockServices.logger.mock(),
      });
    expect(fromConfig(-1)).toThrow(/^backpack\.admission\.cacheSize: -1 is not a whole number of verdicts/);
    expect(fromConfig(1.5)).toThrow(/^backpack\.admission\.cacheSize: 1\.5 is not a whole number/);
    expect(fromConfig(0)).not.toThrow();
  });
});
