import RE2 from 're2';
import { VersionScheme } from '../types';
import { versionSchemeNamed } from './versionSchemes';

/** The protocol external processors speak, and its versions. */
export const PROCESSOR_PROTOCOL = 'backpack-processor';
export const PROCESSOR_PROTOCOL_VERSIONS = [1];

/** What Backpack keeps of an external processor's handshake answer. */
export interface ProcessorHandshake {
  versionScheme: VersionScheme;
  description?: string;
  /** The artifact config keys it accepts; any, when it does not say. */
  configKeys?: string[];
  /** Whether `discover` lists versions only and `describeVersion` describes each. */
  describesVersions: boolean;
  /** Its ids' canonical form: lower-cased first when `lowercase`, then matching `pattern` whole. */
  ids?: { lowercase: boolean; pattern?: RE2; source?: string };
}

/**
 * Checks the plugin's handshake answer: `versionScheme` is one Backpack
 * knows (and the configured one, when the operator named one), the rest
 * well-formed. Throwing fails the plugin's start with the reason.
 */
export function parseProcessorHandshake(
  answer: Record<string, unknown>,
  configured?: string,
): ProcessorHandshake {
  const versionScheme = versionSchemeNamed(answer.versionScheme, 'versionScheme');
  if (configured !== undefined && configured !== versionScheme.name) {
    throw new Error(
      `versionScheme: it declares ${versionScheme.name}, the configuration ${configured}`,
    );
  }
  if (answer.describeVersion !== undefined && typeof answer.describeVersion !== 'boolean') {
    throw new Error('describeVersion: must be a boolean');
  }
  const handshake: ProcessorHandshake = {
    versionScheme,
    describesVersions: answer.describeVersion === true,
  };
  if (answer.description !== undefined) {
    if (typeof answer.description !== 'string' || answer.description.length > 500) {
      throw new Error('description: must be a string of at most 500 characters');
    }
    handshake.description = answer.description;
  }
  if (answer.configKeys !== undefined) {
    const keys = answer.configKeys;
    if (
      !Array.isArray(keys) ||
      keys.length > 64 ||
      !keys.every(key => typeof key === 'string' && /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(key))
    ) {
      throw new Error('configKeys: must be a list of at most 64 simple names');
    }
    handshake.configKeys = keys as string[];
  }
  if (answer.ids !== undefined) handshake.ids = parseIds(answer.ids);
  return handshake;
}

function parseIds(value: unknown): NonNullable<ProcessorHandshake['ids']> {
  const ids = (value ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('ids: must be an object');
  if (ids.lowercase !== undefined && typeof ids.lowercase !== 'boolean') {
    throw new Error('ids.lowercase: must be a boolean');
  }
  const parsed: NonNullable<ProcessorHandshake['ids']> = { lowercase: ids.lowercase === true };
  if (ids.pattern !== undefined) {
    if (typeof ids.pattern !== 'string' || ids.pattern.length > 500) {
      throw new Error('ids.pattern: must be a regular expression of at most 500 characters');
    }
    try {
      // RE2 runs in linear time: no pattern a plugin sends can hang the backend.
      parsed.pattern = new RE2(`^(?:${ids.pattern})$`, 'u');
    } catch (error) {
      throw new Error(`ids.pattern: ${(error as Error).message}`);
    }
    parsed.source = ids.pattern;
  }
  return parsed;
}
