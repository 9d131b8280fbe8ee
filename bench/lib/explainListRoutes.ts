import { Knex } from 'knex';
import { DatabaseArtifactStore } from '../../src/database/DatabaseArtifactStore';
import { DatabaseExportStore } from '../../src/database/DatabaseExportStore';
import { DatabaseRunStore } from '../../src/database/DatabaseRunStore';
import { DatabaseVersionGraphStore } from '../../src/database/DatabaseVersionGraphStore';
import { WriteCounter } from '../../src/database/WriteCounter';

// The statements behind the list routes of the API benchmark, as the stores
// issue them for a caller who may read everything, with PostgreSQL's plan of
// each: the same store calls the routes make, against the benchmark's
// database, captured from knex and explained. Fresh stores, so the totals
// (counted at most every few seconds under load) are captured too.

/** Markdown: each distinct statement with its plan, and the plan lines that scan a whole table. */
export async function explainListRoutes(db: Knex): Promise<{ markdown: string; seqScans: string[] }> {
  const captured = new Map<string, { route: string; sql: string; bindings: readonly unknown[] }>();
  let route = '';
  const onQuery = (q: { sql: string; bindings?: readonly unknown[] }) => {
    if (/^select/i.test(q.sql) && !captured.has(q.sql)) captured.set(q.sql, { route, sql: q.sql, bindings: q.bindings ?? [] });
  };
  const writes = new WriteCounter();
  const artifacts = new DatabaseArtifactStore(db, writes);
  const versions = new DatabaseVersionGraphStore(db, writes);
  const runs = new DatabaseRunStore(db);
  const exports = new DatabaseExportStore(db);
  const big = { processor: 'bench', id: 'load-big' };
  const small = { processor: 'bench', id: 'load-00042' };
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['GET /artifacts/bench/… (the authorization\'s read of the artifact)', () => artifacts.getArtifact(big.processor, big.id)],
    ['GET /artifacts', () => artifacts.listArtifacts({ limit: 50, offset: 0 })],
    ['GET /artifacts?q=load-01&root=true&status=ok', () => artifacts.listArtifacts({ search: 'load-01', root: true, status: 'ok', limit: 50, offset: 0 })],
    ['GET /artifacts?offset=9000', () => artifacts.listArtifacts({ limit: 50, offset: 9000 })],
    ['GET /artifacts/bench/load-00042/versions', () => versions.listVersions(small, { limit: 50, offset: 0 })],
    ['GET /artifacts/bench/load-big/versions/1.0.0/files?limit=100&offset=500', () => versions.listFiles(big, '1.0.0', { limit: 100, offset: 500 })],
    ['GET /runs', () => runs.listRuns({ limit: 50, offset: 0, visible: { fullRuns: true, scoped: { type: 'all' } } })],
    ['GET /runs?status=failed&offset=500', () => runs.listRuns({ status: 'failed', limit: 50, offset: 500, visible: { fullRuns: true, scoped: { type: 'all' } } })],
    ['GET /exports', () => exports.listExports({ limit: 50, offset: 0, visible: { type: 'all' } })],
  ];
  db.on('query', onQuery);
  try {
    for (const [name, call] of calls) {
      route = name;
      await call();
    }
  } finally {
    db.removeListener('query', onQuery);
  }
  const sections: string[] = [];
  const seqScans: string[] = [];
  // knex hands pg's positional ($1) statements to the driver as they are.
  const connection = await db.client.acquireConnection();
  try {
    let shownRoute = '';
    for (const { route: of, sql, bindings } of captured.values()) {
      const result = await connection.query(`EXPLAIN ${sql}`, bindings);
      const lines: string[] = result.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
      const seq = lines.filter(l => /Seq Scan on (artifact|mirror_runs|exports|version_)/.test(l));
      seqScans.push(...seq.map(l => `${of}: ${l.trim()}`));
      if (of !== shownRoute) sections.push(`\`${of}\`:`, '');
      shownRoute = of;
      sections.push('```sql', sql, '```', '', '```', ...lines, '```', '');
    }
  } finally {
    await db.client.releaseConnection(connection);
  }
  return { markdown: sections.join('\n'), seqScans };
}
