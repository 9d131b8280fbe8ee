import request from 'supertest';
import { ServeTestBackend, startServeBackend } from '../__testUtils__/serveBackend';

describe('backpack.serve.public', () => {
  let backend: ServeTestBackend;

  beforeAll(async () => {
    backend = await startServeBackend({ serve: { public: true } });
  });

  afterAll(async () => {
    await backend.stop();
  });

  it('opens the registry views without credentials', async () => {
    const index = await request(backend.server)
      .get('/api/backpack/pypi/simple/')
      .set('Accept', 'application/vnd.pypi.simple.v1+json');
    expect(index.status).toBe(200);
    expect(JSON.parse(index.text)).toEqual({ meta: { 'api-version': '1.1' }, projects: [] });
    // Not mirrored, rather than unauthenticated.
    expect((await request(backend.server).get('/api/backpack/npm/express')).status).toBe(404);
    expect((await request(backend.server).get('/api/backpack/maven/org/x/y/maven-metadata.xml')).status).toBe(404);
  });

  it("tells Cargo that the registry needs no token", async () => {
    const config = await request(backend.server).get('/api/backpack/cargo/config.json');
    expect(config.status).toBe(200);
    expect(JSON.parse(config.text)).toEqual({
      dl: `${backend.baseUrl}/cargo/crates/{crate}/{version}/download`,
    });
    expect((await request(backend.server).get('/api/backpack/cargo/se/rd/serde')).status).toBe(404);
  });

  it('answers huggingface_hub without a token, with the Hub\'s error code for what is not mirrored', async () => {
    const res = await request(backend.server).head('/api/backpack/huggingface/org/model/resolve/main/config.json');
    expect(res.status).toBe(404);
    expect(res.headers['x-error-code']).toBe('RepoNotFound');
  });

  it('leaves the rest of the API closed', async () => {
    expect((await request(backend.server).get('/api/backpack/artifacts')).status).toBe(401);
  });
});
