import { mockServices } from '@backstage/backend-test-utils';
import { BackpackStores } from '../../database/createBackpackStores';
import { StoredFile } from '../../database/FileStore';
import { ProcessorFile } from '../../processors/types';
import { isRetryable } from '../../upstream/SafeFetcher';
import { Collector, CollectorOptions } from '../Collector';

// What the Collector suites set up alike: the collector and the artifact
// whose files it collects.

/**
 * A Collector as the suites run it, one worker with three attempts and the
 * fetcher's idea of a retryable failure, unless `options` say otherwise.
 */
export function testCollector(
  options: Pick<CollectorOptions, 'stores' | 'blobStore' | 'queue' | 'fetcher'> & Partial<CollectorOptions>,
): Collector {
  return new Collector({
    logger: mockServices.logger.mock(),
    workerId: 'test-worker',
    maxAttempts: 3,
    isRetryable,
    ...options,
  });
}

/**
 * Adds a root npm artifact whose one version, 1.0.0, holds `files` and is
 * selected; answers its ref and its files to collect, by name.
 */
export async function selectedArtifact(
  stores: Pick<BackpackStores, 'artifacts' | 'versions' | 'files'>,
  id: string,
  files: ProcessorFile[],
): Promise<{ ref: number; files: Record<string, StoredFile> }> {
  const { ref } = await stores.artifacts.createArtifact({
    processor: 'npm',
    id,
    config: {},
    root: true,
    dependencyPolicy: 'latest',
  });
  await stores.versions.syncVersions(ref, [{ version: '1.0.0', files, dependencies: [] }]);
  await stores.versions.setSelection(ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
  const listed = await stores.files.listFilesToQueue({ artifactRefs: [ref], staleAfterMs: 0 });
  return { ref, files: Object.fromEntries(listed.map(file => [file.name, file])) };
}
