import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { makeValidator, parseEntityRef } from '@backstage/catalog-model';
import { Config, ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { readHelmProcessorSettings, HelmRepository } from '../processors/helm/helmConfig';

/** The settings of the catalog module, from `backpack.catalog`. */
export interface CatalogModuleSettings {
  /** Entity ref of every entity's `spec.owner`. */
  owner: string;
  /** Entity ref of every entity's `spec.system`, when set. */
  system?: string;
  namespace: string;
  /** The full mutation. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** The delta mutation: what changed since the last run. */
  deltaSchedule: SchedulerServiceTaskScheduleDefinition;
  pageSize: number;
  maxArtifacts: number;
  /** Whether Backpack's change events trigger a delta mutation at once. */
  events: boolean;
  helmRepositories: ReadonlyMap<string, HelmRepository>;
}

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 10 },
  timeout: { minutes: 5 },
};
const DEFAULT_DELTA_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { seconds: 30 },
  timeout: { minutes: 5 },
  // Each instance keeps its own snapshot to diff against, so each polls.
  scope: 'local',
};

function localByDefault(schedule: SchedulerServiceTaskScheduleDefinition): SchedulerServiceTaskScheduleDefinition {
  return { ...schedule, scope: schedule.scope ?? 'local' };
}

const validator = makeValidator();

function entityRefSetting(config: Config, key: string, kind: string, fallback?: string): string | undefined {
  const value = config.getOptionalString(key) ?? fallback;
  if (value === undefined) return undefined;
  try {
    const ref = parseEntityRef(value, { defaultKind: kind, defaultNamespace: 'default' });
    if (!validator.isValidKind(ref.kind) || !validator.isValidNamespace(ref.namespace) || !validator.isValidEntityName(ref.name)) {
      throw new Error('kind, namespace or name breaks the catalog naming rules');
    }
    return `${ref.kind.toLocaleLowerCase('en-US')}:${ref.namespace}/${ref.name}`;
  } catch (error) {
    throw new InputError(`backpack.catalog.${key}: '${value}' is not a valid entity reference (${(error as Error).message})`);
  }
}

function positiveInteger(config: Config, key: string, fallback: number, max: number): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InputError(`backpack.catalog.${key}: must be an integer from 1 to ${max}`);
  }
  return value;
}

/** Reads `backpack.catalog` (and the Helm repositories its view links name). */
export function readCatalogModuleSettings(rootConfig: Config): CatalogModuleSettings {
  const config = rootConfig.getOptionalConfig('backpack.catalog') ?? new ConfigReader({}, 'backpack.catalog');
  const namespace = config.getOptionalString('namespace') ?? 'default';
  if (!validator.isValidNamespace(namespace)) {
    throw new InputError(`backpack.catalog.namespace: '${namespace}' is not a valid catalog namespace (letters, digits and '-', at most 63)`);
  }
  const schedule = config.getOptionalConfig('schedule');
  const deltaSchedule = config.getOptionalConfig('deltaSchedule');
  let helmRepositories: ReadonlyMap<string, HelmRepository> = new Map();
  try {
    helmRepositories = readHelmProcessorSettings(rootConfig.getOptionalConfig('backpack.processors.helm')).repositories;
  } catch {
    // Backpack itself refuses a bad Helm config at startup; here it only costs the Helm view links.
  }
  return {
    owner: entityRefSetting(config, 'owner', 'Group', 'group:default/platform')!,
    system: entityRefSetting(config, 'system', 'System'),
    namespace,
    schedule: schedule ? readSchedulerServiceTaskScheduleDefinitionFromConfig(schedule) : DEFAULT_SCHEDULE,
    deltaSchedule: deltaSchedule ? localByDefault(readSchedulerServiceTaskScheduleDefinitionFromConfig(deltaSchedule)) : DEFAULT_DELTA_SCHEDULE,
    pageSize: positiveInteger(config, 'pageSize', 500, 500),
    maxArtifacts: positiveInteger(config, 'maxArtifacts', 100_000, 10_000_000),
    events: config.getOptionalBoolean('events') ?? true,
    helmRepositories,
  };
}
