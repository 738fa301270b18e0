import { randomBytes } from 'node:crypto';
import { expectRefused } from '../../../../../test/harness/decider-spec';
import { SecretBox, totpSecretAad, type SealedSecret } from './secret-box';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

function flip(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] ^= 0x01;
  return bytes.toString('base64');
}

describe('SecretBox', () => {
  const box = new SecretBox({ current: k1, previous: [] });
  const aad = totpSecretAad('user-1');

  it('round-trips with a fresh 12-byte IV each time and base64 fields', () => {
    const a = box.seal('JBSWY3DPEHPK3PXP', aad);
    const b = box.seal('JBSWY3DPEHPK3PXP', aad);
    expect(a.keyId).toBe('k1');
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.ciphertext, 'base64').toString('utf8')).not.toContain('JBSWY3DP');
    expect(box.open(a, aad)).toBe('JBSWY3DPEHPK3PXP');
    expect(box.open(b, aad)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('rejects tampered ciphertext, tag or iv', () => {
    const sealed = box.seal('secret', aad);
    for (const field of ['ciphertext', 'tag', 'iv'] as const) {
      const tampered: SealedSecret = { ...sealed, [field]: flip(sealed[field]) };
      expectRefused(() => box.open(tampered, aad), { kind: 'internal', code: 'SECRET_DECRYPT_FAILED' });
    }
    expectRefused(() => box.open({ ...sealed, tag: Buffer.alloc(8).toString('base64') }, aad), { kind: 'internal', code: 'SECRET_DECRYPT_FAILED' });
  });

  it('refuses a ciphertext copied to another user (associated data)', () => {
    const sealed = box.seal('secret', totpSecretAad('alice'));
    expectRefused(() => box.open(sealed, totpSecretAad('bob')), { kind: 'internal', code: 'SECRET_DECRYPT_FAILED' });
  });

  it('fails clearly for an unknown key id', () => {
    const sealed = box.seal('secret', aad);
    expectRefused(() => box.open({ ...sealed, keyId: 'k9' }, aad), { kind: 'internal', code: 'SECRET_KEY_UNKNOWN' });
  });

  it('opens data sealed under a previous key and reports it for rotation', () => {
    const old = new SecretBox({ current: k1, previous: [] }).seal('secret', aad);
    const rotated = new SecretBox({ current: k2, previous: [k1] });
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.open(old, aad)).toBe('secret');
    const resealed = rotated.reseal(old, aad);
    expect(resealed.keyId).toBe('k2');
    expect(rotated.needsRotation(resealed)).toBe(false);
    expect(rotated.open(resealed, aad)).toBe('secret');
    // The retired key alone cannot open data sealed under the new one.
    expectRefused(() => new SecretBox({ current: k1, previous: [] }).open(resealed, aad), { kind: 'internal', code: 'SECRET_KEY_UNKNOWN' });
  });

  it('does not open with a different key under the same id', () => {
    const sealed = box.seal('secret', aad);
    const impostor = new SecretBox({ current: { id: 'k1', key: randomBytes(32) }, previous: [] });
    expectRefused(() => impostor.open(sealed, aad), { kind: 'internal', code: 'SECRET_DECRYPT_FAILED' });
  });

  it('rejects keys that are not 32 bytes and duplicate ids', () => {
    expectRefused(() => new SecretBox({ current: { id: 'k1', key: randomBytes(16) }, previous: [] }), { kind: 'internal', code: 'SECRET_KEY_INVALID' });
    expectRefused(() => new SecretBox({ current: k1, previous: [{ id: 'k1', key: randomBytes(32) }] }), { kind: 'internal', code: 'SECRET_KEY_INVALID' });
  });
});
