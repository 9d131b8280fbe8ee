import { createMessage, generateKey, readPrivateKey, sign } from 'openpgp';
import { detachedSignature, generateSigningKey } from '../../__testUtils__/terraformRegistry';
import { parseSha256Sums, verifySignedSums } from './signedSums';

const SUMS = Buffer.from(`${'a'.repeat(64)}  terraform-provider-x_1.0.0_linux_amd64.zip\n${'B'.repeat(64)} *other.zip\n`);

describe('verifySignedSums', () => {
  it('accepts a detached signature by one of the published keys, binary or armored', async () => {
    const key = await generateSigningKey();
    const unrelated = await generateSigningKey('Unrelated');
    const signature = await detachedSignature(SUMS, key);
    await expect(verifySignedSums(SUMS, signature, [unrelated.publicKey, key.publicKey])).resolves.toMatch(/^[0-9a-f]{16}$/);
    const armored = await sign({
      message: await createMessage({ binary: new Uint8Array(SUMS) }),
      signingKeys: await readPrivateKey({ armoredKey: key.privateKey }),
      detached: true,
    });
    await expect(verifySignedSums(SUMS, Buffer.from(armored as string), [key.publicKey])).resolves.toBeDefined();
  });

  it('refuses changed checksums, another signer, garbage and unreadable keys, saying why', async () => {
    const key = await generateSigningKey();
    const signature = await detachedSignature(SUMS, key);
    const changed = Buffer.from(SUMS.toString().replace('a', 'b'));
    await expect(verifySignedSums(changed, signature, [key.publicKey])).rejects.toThrow(/does not verify/);
    const other = await generateSigningKey('Other');
    await expect(verifySignedSums(SUMS, signature, [other.publicKey])).rejects.toThrow(/does not verify/);
    await expect(verifySignedSums(SUMS, Buffer.from('junk'), [key.publicKey])).rejects.toThrow(/not an OpenPGP signature/);
    await expect(verifySignedSums(SUMS, signature, ['not a key'])).rejects.toThrow(/no.*readable OpenPGP public key|none of the published/);
  });

  // OpenPGP.js checks keys as of the signature's creation, as Terraform does.
  it('checks a signature as of when it was made, so releases outlive an expired signing key', async () => {
    const created = new Date(Date.UTC(2020, 0, 1));
    const { publicKey, privateKey } = await generateKey({
      userIDs: [{ name: 'Expired' }],
      date: created,
      keyExpirationTime: 3600,
      format: 'armored',
    });
    const signature = await sign({
      message: await createMessage({ binary: new Uint8Array(SUMS) }),
      signingKeys: await readPrivateKey({ armoredKey: privateKey }),
      detached: true,
      format: 'binary',
      date: new Date(created.getTime() + 60_000),
    });
    await expect(verifySignedSums(SUMS, Buffer.from(signature as Uint8Array), [publicKey])).resolves.toBeDefined();
  });
});

describe('parseSha256Sums', () => {
  it('reads sha256sum lines in text and binary mode, lower-casing digests', () => {
    expect(parseSha256Sums(SUMS.toString())).toEqual(
      new Map([
        ['terraform-provider-x_1.0.0_linux_amd64.zip', 'a'.repeat(64)],
        ['other.zip', 'b'.repeat(64)],
      ]),
    );
  });

  it('refuses lines that are not a digest and a plain file name', () => {
    expect(() => parseSha256Sums(`${'a'.repeat(63)}  x.zip`)).toThrow(/line 1/);
    expect(() => parseSha256Sums(`${'a'.repeat(64)}  ../x.zip`)).toThrow(/line 1/);
    expect(() => parseSha256Sums(`\n${'a'.repeat(64)}  dir/x.zip`)).toThrow(/line 2/);
  });
});
