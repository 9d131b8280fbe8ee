import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { AccessBackend, startAccessBackend } from '../__testUtils__/accessBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const NUL = '\u0000';
const long = (n: number) => 'x'.repeat(n);
const UUID = '00000000-0000-4000-8000-000000000000';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** Every route with a bad string, and the answer it must get: status and how the message starts. */
const CASES: Array<[Method, string, object | undefined, number, RegExp]> = [
  // Bodies
  ['post', '/artifacts', { processor: 'test', id: `a${NUL}b` }, 400, /^id: must not contain control characters$/],
  ['post', '/artifacts', { processor: 'test', id: 'a\u0007b' }, 400, /^id: must not contain control characters$/],
  ['post', '/artifacts', { processor: 'test', id: long(513) }, 400, /^id: must be at most 512 characters$/],
  ['post', '/artifacts', { processor: `te${NUL}st`, id: 'x' }, 400, /^processor: must not contain control/],
  ['post', '/artifacts', { processor: long(65), id: 'x' }, 400, /^processor: must be at most 64 characters/],
  ['post', '/artifacts', { processor: 'test', id: 'x', filter: `1${NUL}` }, 400, /^filter: must not contain control/],
  ['post', '/artifacts', { processor: 'test', id: 'x', filter: long(1025) }, 400, /^filter: must be at most 1024/],
  ['post', '/artifacts', { processor: 'test', id: 'x', config: { note: `a${NUL}` } }, 400, /^config\.note: must not contain control/],
  ['post', '/artifacts', { processor: 'test', id: 'x', config: { [`k${NUL}`]: 1 } }, 400, /^config: a key must not contain control/],
  ['post', '/artifacts/preview', { processor: 'test', id: `a${NUL}b` }, 400, /^id: must not contain control/],
  ['post', '/artifacts/preview', { processor: 'test', id: long(600) }, 400, /^id: must be at most 512/],
  ['patch', '/artifacts/test/app', { filter: `1${NUL}` }, 400, /^filter: must not contain control/],
  ['patch', '/artifacts/test/app', { filter: long(2000) }, 400, /^filter: must be at most 1024/],
  ['post', '/runs', { processor: 'test', id: `a${NUL}` }, 400, /^id: must not contain control/],
  ['post', '/runs', { processor: `t${NUL}`, id: 'a' }, 400, /^processor: must not contain control/],
  ['post', '/runs', { processor: 'test', id: long(600) }, 400, /^id: must be at most 512/],
  ['post', '/exports', { since: `${UUID}${NUL}` }, 400, /^since: must not contain control/],
  ['post', '/exports', { since: long(100) }, 400, /^since: must be at most 64/],
  ['post', '/exports', { processors: [`npm${NUL}`] }, 400, /^processors\[0\]: must not contain control/],
  // npm ids are checked by the npm processor itself, like PyPI's and Maven's.
  ['post', '/artifacts', { processor: 'npm', id: '../../etc/passwd' }, 400, /^id: '..\/..\/etc\/passwd' is not a valid npm package name$/],
  ['post', '/artifacts', { processor: 'npm', id: 'a\\b\\..\\c' }, 400, /^id: 'a\\b\\..\\c' is not a valid npm package name$/],
  ['post', '/artifacts', { processor: 'npm', id: '@scope/../x' }, 400, /^id: .* is not a valid npm package name$/],
  ['post', '/artifacts/preview', { processor: 'npm', id: '../../etc/passwd' }, 400, /^id: .* is not a valid npm package name$/],
  ['post', '/artifacts', { processor: 'pypi', id: '../x' }, 400, /^id: .* is not a valid Python project name$/],
  // Queries
  ['get', `/artifacts?q=${encodeURIComponent(NUL)}`, undefined, 400, /^q: must not contain control/],
  ['get', `/artifacts?q=${long(513)}`, undefined, 400, /^q: must be at most 512/],
  ['get', `/artifacts?processor=${encodeURIComponent(NUL)}`, undefined, 400, /^processor: must not contain control/],
  ['get', `/artifacts?processor=${long(65)}`, undefined, 400, /^processor: must be at most 64/],
  ['get', `/runs?status=${encodeURIComponent(NUL)}`, undefined, 400, /^status: /],
  ['get', `/artifacts/test/app/versions?status=${encodeURIComponent(NUL)}`, undefined, 400, /^status: /],
  ['get', '/artifacts?limit=%00', undefined, 400, /^limit: /],
  ['get', '/exports?offset=1e20', undefined, 400, /^offset: /],
  ['get', '/runs?offset=-1', undefined, 400, /^offset: /],
  // Path parameters
  ['get', '/artifacts/test/a%00b', undefined, 400, /^id: must not contain control/],
  ['get', `/artifacts/test/${long(513)}`, undefined, 400, /^id: must be at most 512/],
  ['get', '/artifacts/%00/x', undefined, 400, /^processor: must not contain control/],
  ['get', '/artifacts/test/a%00b/versions', undefined, 400, /^id: must not contain control/],
  ['get', '/artifacts/test/app/versions/1%00/files', undefined, 400, /^version: must not contain control/],
  ['get', `/artifacts/test/app/versions/${long(257)}/files`, undefined, 400, /^version: must be at most 256/],
  ['patch', '/artifacts/test/a%00b', { filter: null }, 400, /^id: must not contain control/],
  ['delete', '/artifacts/test/a%00b', undefined, 400, /^id: must not contain control/],
  ['post', '/artifacts/test/a%00b/retry', undefined, 400, /^id: must not contain control/],
  ['get', '/runs/%00', undefined, 404, /^No mirror run with id/],
  ['get', `/runs/${long(600)}`, undefined, 404, /^No mirror run with id/],
  ['get', '/exports/%00', undefined, 404, /^No export with id/],
  ['get', `/exports/${long(600)}/manifest`, undefined, 404, /^No export with id/],
  ['get', '/exports/%00/parts/1', undefined, 404, /^No export with id/],
  ['delete', '/exports/%00', undefined, 404, /^No export with id/],
  ['get', `/exports/${UUID}/parts/%00`, undefined, 400, /^n: /],
  // Registry views: a name that cannot exist is not mirrored.
  ['get', '/npm/a%00b', undefined, 404, /./],
  ['get', '/npm/a%00b/-/a-1.0.0.tgz', undefined, 404, /./],
  ['get', '/npm/@s%00/x', undefined, 404, /./],
  ['get', `/npm/${long(2000)}`, undefined, 404, /./],
  ['get', '/pypi/simple/a%00b/', undefined, 404, /./],
  ['get', '/pypi/packages/ab/1.0/a%00b-1.0.tar.gz', undefined, 404, /./],
  ['get', '/npm/a/-/1.0%00/a-1.0.tgz', undefined, 404, /./],
  ['get', '/maven/org/a%00b/x/maven-metadata.xml', undefined, 404, /./],
  ['get', `/maven/org/x/${long(2000)}.jar`, undefined, 404, /./],
];

describe.each(databases.eachSupportedId())('bad input on %p', databaseId => {
  let backend: AccessBackend;

  beforeAll(async () => {
    backend = await startAccessBackend({ knex: await databases.init(databaseId) });
    await backend.addRoot({ processor: 'test', id: 'app' });
  });

  afterAll(async () => {
    await backend.stop();
  });

  it.each(CASES)('%s %s %j answers %d', async (method, url, body, status, message) => {
    const res = await request(backend.server)[method](`/api/backpack${url}`).send(body);
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status,
      message: expect.stringMatching(message),
    });
  });

  it('refuses a config nested 2,000 levels deep before validating it', async () => {
    const deep = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
    const res = await request(backend.server)
      .post('/api/backpack/artifacts')
      .set('Content-Type', 'application/json')
      .send(`{"processor":"test","id":"deep","config":${deep}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('config: nested deeper than 32 levels');
  });

  it.each([
    ['cut short', '{"id": "SECRET-MARKER-1", "processor": ', /^body: malformed JSON \(unexpected end at position \d+\)$/],
    ['with a bad token', '{"processor": SECRET-MARKER-2}', /^body: malformed JSON \(unexpected token\)$/],
    ['with a missing colon', '{"SECRET-MARKER-3" 1}', /^body: malformed JSON \(Expected ':' after property name at position \d+\)$/],
  ])('names malformed JSON %s without echoing it', async (_what, text, message) => {
    const res = await request(backend.server)
      .post('/api/backpack/artifacts')
      .set('Content-Type', 'application/json')
      .send(text);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(res.text).not.toContain('SECRET-MARKER');
  });

  it('refuses a body over the size limit', async () => {
    const res = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'test', id: 'big', config: { note: long(200_000) } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^body: larger than 102400 bytes/);
  });

  it('stored nothing for any refused request', async () => {
    const list = await request(backend.server).get('/api/backpack/artifacts?limit=500');
    expect(list.body.items.map((a: any) => `${a.processor}:${a.id}`)).toEqual(['test:app', 'test:lib']);
    const exports = await request(backend.server).get('/api/backpack/exports');
    expect(exports.body.total).toBe(0);
  });
});
