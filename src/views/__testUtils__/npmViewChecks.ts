import request from 'supertest';
import { binaryBody } from '../../__testUtils__/api';
import { STATIC_TOKEN, TestServer } from '../../__testUtils__/backpackBackend';

// Checks of the npm view that hold for any mirrored closure.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

/**
 * A tarball is served with HEAD and GET alike, as the gzip stream it is and
 * marked verified; `earlierPath` (the URL of earlier packuments, without
 * the version) answers the same where one version has a file of that name.
 */
export async function expectTarballServed(server: TestServer, tarballPath: string, earlierPath: string) {
  const head = await request(server).head(tarballPath).set(auth);
  expect(head.status).toBe(200);
  const get = await request(server).get(tarballPath).set(auth).buffer(true).parse(binaryBody);
  expect(get.status).toBe(200);
  expect(Number(head.headers['content-length'])).toBe((get.body as Buffer).length);
  // A gzip stream.
  expect((get.body as Buffer).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  expect(get.headers['x-backpack-verified']).toBe('true');
  const earlier = await request(server).head(earlierPath).set(auth);
  expect(earlier.status).toBe(200);
  expect(earlier.headers['content-length']).toBe(head.headers['content-length']);
}

/** The view asks for credentials, and takes a token as bearer or as basic-auth password. */
export async function expectCredentialsAsked(server: TestServer, packumentPath: string) {
  const anonymous = await request(server).get(packumentPath);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
  const wrong = await request(server).get(packumentPath).set('Authorization', 'Bearer not-a-token');
  expect(wrong.status).toBe(401);
  const basic = await request(server).get(packumentPath).auth('anyone', STATIC_TOKEN);
  expect(basic.status).toBe(200);
}
