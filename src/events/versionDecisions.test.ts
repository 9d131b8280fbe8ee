import { mockServices } from '@backstage/backend-test-utils';
import { describeOnEachDatabase, npmVersion, rootArtifact } from '../database/__testUtils__/storeFixtures';
import { BackpackEvents, noopBackpackEvents, VersionDecision } from './BackpackEvents';
import { trackVersionDecisions } from './versionDecisions';

function recordingEvents(): BackpackEvents & { decisions: VersionDecision[] } {
  const decisions: VersionDecision[] = [];
  return { ...noopBackpackEvents, enabled: true, decisions, versionsDecided: d => decisions.push(d) };
}

describeOnEachDatabase('trackVersionDecisions', db => {
  it('tells of versions whose status became selected or denied, once', async () => {
    const logger = mockServices.logger.mock();
    const artifact = await db.stores.artifacts.createArtifact({ ...rootArtifact, id: `pkg-${db.databaseId}` });
    await db.stores.versions.syncVersions(artifact.ref, ['1.0.0', '1.1.0', '2.0.0'].map(v => npmVersion(v)));
    await db.stores.versions.setSelection(artifact.ref, [
      { version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] },
    ]);
    const events = recordingEvents();
    // A second artifact whose decisions do not change is read in the same statements and tells nothing.
    const other = await db.stores.artifacts.createArtifact({ ...rootArtifact, id: `other-${db.databaseId}` });
    await db.stores.versions.syncVersions(other.ref, [npmVersion('3.0.0')]);
    await db.stores.versions.setSelection(other.ref, [{ version: '3.0.0', status: 'selected', selection: [] }]);
    const track = () =>
      trackVersionDecisions({ events, versions: db.stores.versions, logger, runId: 'run-1', artifacts: [artifact, other] });

    // A run that keeps 1.0.0, selects 1.1.0 and has 2.0.0 denied (admission).
    const announce = await track();
    const rowsWritten = await db.stores.versions.setSelection(artifact.ref, [
      { version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] },
      { version: '1.1.0', status: 'selected', selection: [{ type: 'filter', filter: '^1' }] },
      { version: '2.0.0', status: 'denied', selection: [{ type: 'denied', reason: 'licence GPL-3.0 is not allowed' }] },
    ]);
    await announce({ rowsWritten });
    expect(events.decisions).toEqual([
      {
        decision: 'selected',
        artifact: { processor: 'npm', id: artifact.id },
        runId: 'run-1',
        versions: [{ version: '1.1.0', selection: [{ type: 'filter', filter: '^1' }] }],
      },
      {
        decision: 'denied',
        artifact: { processor: 'npm', id: artifact.id },
        runId: 'run-1',
        versions: [{ version: '2.0.0', reason: 'licence GPL-3.0 is not allowed' }],
      },
    ]);

    // The same decisions again, recorded with a row written (another
    // reason, say): nothing new to tell.
    events.decisions.length = 0;
    const again = await track();
    await again({ rowsWritten: 1 });
    expect(events.decisions).toEqual([]);
  });

  it('reads the decisions again only when recording them wrote rows', async () => {
    const logger = mockServices.logger.mock();
    const listDecidedVersions = jest.fn().mockResolvedValue(new Map([[1, []]]));
    const artifacts = [{ ref: 1, processor: 'npm', id: 'x' }];
    const events = recordingEvents();
    const unchanged = await trackVersionDecisions({ events, versions: { listDecidedVersions }, logger, runId: 'r', artifacts });
    await unchanged({ rowsWritten: 0 });
    expect(listDecidedVersions).toHaveBeenCalledTimes(1);

    const changed = await trackVersionDecisions({ events, versions: { listDecidedVersions }, logger, runId: 'r', artifacts });
    await changed({ rowsWritten: 2 });
    expect(listDecidedVersions).toHaveBeenCalledTimes(3);
  });

  it('reads nothing without events, and never fails the run when a read fails', async () => {
    const logger = mockServices.logger.mock();
    const listDecidedVersions = jest.fn().mockRejectedValue(new Error('connection reset'));
    const artifacts = [{ ref: 1, processor: 'npm', id: 'x' }];
    const none = await trackVersionDecisions({ versions: { listDecidedVersions }, logger, runId: 'r', artifacts });
    await none({ rowsWritten: 1 });
    expect(listDecidedVersions).not.toHaveBeenCalled();

    const events = recordingEvents();
    const failing = await trackVersionDecisions({ events, versions: { listDecidedVersions }, logger, runId: 'r', artifacts });
    await expect(failing({ rowsWritten: 1 })).resolves.toBeUndefined();
    expect(events.decisions).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith('Version events of run r left out: connection reset');
  });
});
