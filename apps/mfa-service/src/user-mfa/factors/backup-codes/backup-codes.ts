import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@mfa/common/errors/app-error';

export const BACKUP_CODE_COUNT = 10;

/** Crockford base32: no I, L, O or U, so codes survive being read aloud or hand-copied. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 24 characters × 5 bits = 120 bits of CSPRNG entropy per code (at least 112, as NIST SP 800-63B asks of a look-up secret). */
const CODE_CHARS = 24;
const CODE_BYTES = 15;
const GROUP_CHARS = 4;
/** Codes issued before 120-bit codes (40 bits): their stored hashes still verify until regenerated. */
const LEGACY_CODE_CHARS = 8;
const MIN_PEPPER_BYTES = 32;

export interface StoredBackupCode {
  hash: string;
  usedAt: Date | null;
}

export interface GeneratedBackupCodes {
  /** Shown to the user once, formatted `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`. */
  codes: string[];
  /** Same order as `codes`; the only thing persisted. */
  hashes: string[];
}

export interface BackupCodeService {
  generate(): GeneratedBackupCodes;
  normalize(input: string): string;
  hash(code: string): string;
  findMatch(input: string, stored: readonly StoredBackupCode[]): number;
}

/**
 * Single-use recovery codes, stored as HMAC-SHA-256 keyed with a server-side pepper
 * (MFA_BACKUP_CODE_PEPPER, not in the database). Each code carries 120 random bits, so even with the database and the pepper, guessing a code offline
 * is infeasible and no slow KDF or salt is needed; a fast hash lets one attempt check all ten
 * codes cheaply (no CPU lever for callers). Online guessing is bounded by the attempt lockout.
 * Older 8-character (40-bit) codes keep verifying against their stored hashes until regenerated.
 */
export class BackupCodes implements BackupCodeService {
  private readonly pepper: Buffer;
  private readonly count: number;

  constructor(options: { pepper: Buffer; count?: number }) {
    if (!Buffer.isBuffer(options.pepper) || options.pepper.length < MIN_PEPPER_BYTES) {
      throw new AppError('internal', 'BACKUP_CODE_PEPPER_INVALID', `Backup code pepper must be at least ${MIN_PEPPER_BYTES} bytes`);
    }
    this.pepper = Buffer.from(options.pepper);
    this.count = options.count ?? BACKUP_CODE_COUNT;
  }

  generate(): GeneratedBackupCodes {
    const codes: string[] = [];
    const seen = new Set<string>();
    while (codes.length < this.count) {
      const raw = encodeBase32(randomBytes(CODE_BYTES));
      if (seen.has(raw)) continue;
      seen.add(raw);
      codes.push(raw.match(new RegExp(`.{${GROUP_CHARS}}`, 'g'))!.join('-'));
    }
    return { codes, hashes: codes.map((c) => this.hash(c)) };
  }

  /** Case-insensitive; ignores spaces and dashes; maps look-alikes (o→0, i/l→1) as Crockford does. */
  normalize(input: string): string {
    return input
      .toLowerCase()
      .replace(/[\s-]+/g, '')
      .replace(/o/g, '0')
      .replace(/[il]/g, '1');
  }

  hash(code: string): string {
    return createHmac('sha256', this.pepper).update(this.normalize(code), 'utf8').digest('hex');
  }

  /** Index of an unused stored code matching `input`, or -1. Compares against every entry. */
  findMatch(input: string, stored: readonly StoredBackupCode[]): number {
    if (typeof input !== 'string') return -1;
    const normalized = this.normalize(input);
    if (normalized.length !== CODE_CHARS && normalized.length !== LEGACY_CODE_CHARS) return -1;
    if (![...normalized].every((c) => ALPHABET.includes(c))) return -1;
    const candidate = Buffer.from(this.hash(normalized), 'hex');
    let found = -1;
    stored.forEach((entry, index) => {
      const hash = Buffer.from(entry.hash, 'hex');
      const equal = hash.length === candidate.length && timingSafeEqual(hash, candidate);
      if (equal && entry.usedAt === null && found === -1) found = index;
    });
    return found;
  }
}

function encodeBase32(bytes: Buffer): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = '';
  for (let i = CODE_CHARS - 1; i >= 0; i--) out += ALPHABET[Number((value >> BigInt(i * 5)) & 31n)];
  return out;
}
