import { mockCredentials } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Readable } from 'node:stream';
import request from 'supertest';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from '../permissions';
import { ServeAccess } from '../views/ServeAccess';
import { ServedFile } from '../views/ServedContent';
import { artifactOf, createRouterHarness, RouterHarness } from './__testUtils__/routerHarness';

// The registry view routes alone, on fake views (see routerHarness.ts):
// which view method a native client's URL reaches, with what access, and
// how documents and files are sent. The views over a real mirror, with the
// real npm, pip and mvn: views/*.e2e.test.ts.

const document = (body: string, contentType = 'application/json') => ({ contentType, body });

function file(bytes: string, verified = true): ServedFile {
  return {
    contentType: 'application/octet-stream',
    verified,
    size: async () => Buffer.byteLength(bytes),
    open: async () => ({ body: Readable.from([Buffer.from(bytes)]), size: Buffer.byteLength(bytes) }),
  };
}

describe('registry view routes', () => {
  let harness: RouterHarness;

  beforeEach(async () => {
    harness = await createRouterHarness();
  });

  it('reaches the npm packument under a plain name and both spellings of a scoped one', async () => {
    const { npm } = harness.services.serve;
    npm.packument.mockResolvedValue(document('{"name":"x"}'));
    for (const [url, name] of [
      ['/npm/express', 'express'],
      ['/npm/@jest%2fcore', '@jest/core'],
      ['/npm/@jest/core', '@jest/core'],
    ]) {
      const res = await request(harness.app).get(url);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'x' });
      expect(npm.packument).toHaveBeenLastCalledWith(name, expect.objectContaining({ canRead: expect.any(Function) }));
    }
  });

  it('reaches npm tarballs by version, and by file name alone as earlier packuments link them', async () => {
    const { npm } = harness.services.serve;
    npm.tarball.mockResolvedValue(file('12345'));
    npm.tarballByName.mockResolvedValue(file('123', false));
    const byVersion = await request(harness.app).get('/npm/@jest/core/-/29.7.0/core-29.7.0.tgz').buffer(true);
    expect(byVersion.status).toBe(200);
    expect(byVersion.headers['content-length']).toBe('5');
    expect(byVersion.headers['x-backpack-verified']).toBe('true');
    expect(npm.tarball).toHaveBeenCalledWith('@jest/core', '29.7.0', 'core-29.7.0.tgz', expect.anything());

    const byName = await request(harness.app).head('/npm/express/-/express-4.21.2.tgz');
    expect(byName.status).toBe(200);
    expect(byName.headers['content-length']).toBe('3');
    expect(byName.headers['x-backpack-verified']).toBe('false');
    expect(npm.tarballByName).toHaveBeenCalledWith('express', 'express-4.21.2.tgz', expect.anything());
  });

  it('redirects PyPI pages to their canonical, slash-terminated URLs and negotiates the format', async () => {
    const { pypi } = harness.services.serve;
    pypi.canonicalName.mockImplementation((name: string) => name.toLowerCase().replace(/[-_.]+/g, '-'));
    pypi.index.mockResolvedValue(document('<html/>', 'text/html'));
    pypi.project.mockResolvedValue(document('{}', 'application/vnd.pypi.simple.v1+json'));

    const bare = await request(harness.app).get('/pypi/simple');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/pypi/simple/');
    const index = await request(harness.app).get('/pypi/simple/');
    expect(index.status).toBe(200);
    expect(pypi.index).toHaveBeenCalledWith('legacy-html', expect.anything());

    const mixed = await request(harness.app).get('/pypi/simple/Foo_Bar/');
    expect(mixed.status).toBe(301);
    expect(mixed.headers.location).toBe('/pypi/simple/foo-bar/');
    const json = await request(harness.app)
      .get('/pypi/simple/foo-bar/')
      .set('Accept', 'application/vnd.pypi.simple.v1+json');
    expect(json.status).toBe(200);
    expect(json.headers.vary).toMatch(/Accept/);
    expect(pypi.project).toHaveBeenCalledWith('foo-bar', 'json', expect.anything());
  });

  it('reaches PyPI files by project and version, and Maven paths as documents or files', async () => {
    const { pypi, maven } = harness.services.serve;
    pypi.file.mockResolvedValue(file('wheel'));
    const wheel = await request(harness.app).get('/pypi/packages/foo-bar/2.0/foo_bar-2.0.tar.gz').buffer(true);
    expect(wheel.status).toBe(200);
    expect(pypi.file).toHaveBeenCalledWith('foo-bar', '2.0', 'foo_bar-2.0.tar.gz', expect.anything());

    maven.get.mockResolvedValueOnce({ kind: 'document', ...document('<metadata/>', 'application/xml') });
    const metadata = await request(harness.app).get('/maven/com/example/app/maven-metadata.xml');
    expect(metadata.status).toBe(200);
    expect(metadata.text).toBe('<metadata/>');
    expect(maven.get).toHaveBeenLastCalledWith('com/example/app/maven-metadata.xml', expect.anything());

    maven.get.mockResolvedValueOnce({ kind: 'file', ...file('jar!') });
    const jar = await request(harness.app).get('/maven/com/example/app/1.0/app-1.0.jar').buffer(true);
    expect(jar.status).toBe(200);
    expect(jar.headers['content-length']).toBe('4');
  });

  it('asks for credentials with a basic challenge, and takes a token as the basic-auth password', async () => {
    const { npm } = harness.services.serve;
    npm.packument.mockResolvedValue(document('{}'));
    const anonymous = await request(harness.app).get('/npm/express').set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="Backpack"');
    expect(npm.packument).not.toHaveBeenCalled();

    const basic = await request(harness.app).get('/npm/express').auth('pip', mockCredentials.user.token());
    expect(basic.status).toBe(200);
  });

  it('refuses a caller denied reading outright, and hands a conditional decision to the view as access', async () => {
    const { npm } = harness.services.serve;
    npm.packument.mockResolvedValue(document('{}'));
    harness.decisions[backpackArtifactReadPermission.name] = { result: AuthorizeResult.DENY };
    expect((await request(harness.app).get('/npm/express')).status).toBe(403);
    expect(npm.packument).not.toHaveBeenCalled();

    harness.decisions[backpackArtifactReadPermission.name] = createBackpackArtifactConditionalDecision(
      backpackArtifactReadPermission,
      backpackArtifactConditions.isRoot({ root: true }),
    );
    await request(harness.app).get('/npm/express');
    const access: ServeAccess = npm.packument.mock.calls[0][1];
    expect(access.canRead(artifactOf({ processor: 'npm', id: 'express' }))).toBe(true);
    expect(access.canRead(artifactOf({ processor: 'npm', id: 'qs', root: false }))).toBe(false);
  });

  it('lets anyone read public views', async () => {
    harness.services.serve.public = true;
    harness.services.serve.npm.packument.mockResolvedValue(document('{}'));
    const res = await request(harness.app).get('/npm/express').set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
  });

  it('answers 404 for paths that cannot name anything, without asking a view, and for what a view does not have', async () => {
    const { npm, maven } = harness.services.serve;
    expect((await request(harness.app).get('/npm/%E0%A4%A')).status).toBe(404);
    expect((await request(harness.app).get('/maven/a%00b')).status).toBe(404);
    expect(npm.packument).not.toHaveBeenCalled();
    expect(maven.get).not.toHaveBeenCalled();

    npm.packument.mockRejectedValue(new NotFoundError('not mirrored'));
    expect((await request(harness.app).get('/npm/left-pad')).status).toBe(404);
  });
});
