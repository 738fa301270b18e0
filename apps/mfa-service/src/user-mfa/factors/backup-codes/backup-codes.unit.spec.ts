import { createHmac, randomBytes } from 'node:crypto';
import { AppError } from '@mfa/common/errors/app-error';
import { BACKUP_CODE_COUNT, BackupCodes, type StoredBackupCode } from './backup-codes';

const pepper = randomBytes(32);
const codes = new BackupCodes({ pepper });
const unused = (hashes: string[]): StoredBackupCode[] => hashes.map((hash) => ({ hash, usedAt: null }));

describe('BackupCodes', () => {
  it('generates 10 distinct 120-bit codes (six groups of four) from the unambiguous alphabet, with hashes in order', () => {
    const { codes: plain, hashes } = codes.generate();
    expect(plain).toHaveLength(BACKUP_CODE_COUNT);
    expect(new Set(plain).size).toBe(BACKUP_CODE_COUNT);
    // 24 characters of a 32-letter alphabet: 120 bits, above the 112 bits NIST SP 800-63B asks of a look-up secret.
    for (const code of plain) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){5}$/);
    expect(hashes).toEqual(plain.map((c) => codes.hash(c)));
    expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
    // Nothing in the stored form reveals the code.
    expect(hashes.join('')).not.toContain(plain[0].replace(/-/g, '').slice(0, 8));
  });

  it('every character position is random: 1,000 codes use the whole alphabet in each of the 24 positions', () => {
    const many = Array.from({ length: 100 }, () => codes.generate().codes)
      .flat()
      .map((c) => c.replace(/-/g, ''));
    for (let position = 0; position < 24; position++) expect(new Set(many.map((c) => c[position])).size).toBe(32);
  });

  it('old 8-character (40-bit) codes stored before still verify, once each', () => {
    const legacy = ['ab3d-x9z2', 'k7m2-p4q8'];
    const stored = unused(legacy.map((c) => createHmac('sha256', pepper).update(c.replace('-', '')).digest('hex')));
    expect(codes.findMatch('AB3D X9Z2', stored)).toBe(0);
    expect(codes.findMatch('k7m2-p4q8', stored)).toBe(1);
    expect(codes.findMatch('k7m2-p4q8', [stored[0], { ...stored[1], usedAt: new Date() }])).toBe(-1);
    expect(codes.findMatch('k7m2-p4q9', stored)).toBe(-1);
  });

  it('produces new codes on every generation', () => {
    expect(codes.generate().codes).not.toEqual(codes.generate().codes);
  });

  it('hashes with HMAC-SHA-256 keyed by the pepper over the normalized code', () => {
    const expected = createHmac('sha256', pepper).update('abcd2345').digest('hex');
    expect(codes.hash('ABCD-2345')).toBe(expected);
    expect(new BackupCodes({ pepper: randomBytes(32) }).hash('abcd-2345')).not.toBe(expected);
  });

  it('normalizes case, spaces, dashes and look-alike letters', () => {
    expect(codes.normalize(' AB3D-x9z2 ')).toBe('ab3dx9z2');
    expect(codes.normalize('ab3d x9z2')).toBe('ab3dx9z2');
    expect(codes.normalize('O0Il-1234')).toBe('00111234');
  });

  it('finds the index of an unused matching code, however it is typed', () => {
    const { codes: plain, hashes } = codes.generate();
    const stored = unused(hashes);
    expect(codes.findMatch(plain[3], stored)).toBe(3);
    expect(codes.findMatch(plain[7].toUpperCase().replace(/-/g, ' '), stored)).toBe(7);
    expect(codes.findMatch(plain[0].replace(/-/g, ''), stored)).toBe(0);
  });

  it('respects the used flag: a used code no longer matches', () => {
    const { codes: plain, hashes } = codes.generate();
    const stored = unused(hashes);
    stored[2] = { ...stored[2], usedAt: new Date('2025-01-01T00:00:00Z') };
    expect(codes.findMatch(plain[2], stored)).toBe(-1);
    expect(codes.findMatch(plain[1], stored)).toBe(1);
  });

  it('rejects wrong, malformed and foreign codes', () => {
    const { codes: plain, hashes } = codes.generate();
    const stored = unused(hashes);
    const other = codes.generate().codes[0];
    expect(codes.findMatch(other, stored)).toBe(-1);
    expect(codes.findMatch(plain[0].slice(0, 8), stored)).toBe(-1);
    expect(codes.findMatch(`${plain[0]}x`, stored)).toBe(-1);
    expect(codes.findMatch('', stored)).toBe(-1);
    expect(codes.findMatch('uuuu-uuuu', stored)).toBe(-1);
    expect(codes.findMatch(plain[0], [])).toBe(-1);
    // Hashes made with another pepper (e.g. a copied database) do not match.
    expect(new BackupCodes({ pepper: randomBytes(32) }).findMatch(plain[0], stored)).toBe(-1);
  });

  it('refuses a short pepper', () => {
    expect(() => new BackupCodes({ pepper: randomBytes(16) })).toThrow(AppError);
  });
});
