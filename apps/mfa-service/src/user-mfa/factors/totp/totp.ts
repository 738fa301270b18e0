import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@mfa/common/errors/app-error';

/** RFC 6238 parameters every authenticator app understands. */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_ALGORITHM = 'SHA1';
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1;
export const TOTP_SECRET_BYTES = 20;

export type TotpFailureReason = 'invalid_code' | 'replayed_code' | 'malformed_code';
export type TotpVerification = { ok: true; step: number } | { ok: false; reason: TotpFailureReason };

export interface VerifyTotpInput {
  /** Base32 secret (as produced by generateTotpSecret). */
  secret: string;
  code: string;
  now: Date;
  /** Last accepted time step for this user, or null when none was ever accepted. */
  lastUsedStep: number | null;
}

export interface TotpUriInput {
  secret: string;
  issuer: string;
  accountName: string;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_PATTERN = /^[0-9]{6}$/;

/** 160 bits from the CSPRNG, base32 without padding (32 characters). */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(TOTP_SECRET_BYTES));
}

/** Key URI format understood by Google Authenticator & co: label `Issuer:account` plus `issuer` param. */
export function totpUri({ secret, issuer, accountName }: TotpUriInput): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const params = new URLSearchParams({
    secret,
    issuer,
    algorithm: TOTP_ALGORITHM,
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}

export function totpStepAt(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_STEP_SECONDS);
}

/**
 * Accepts a code for a step within ±1 of `now` that is strictly later than `lastUsedStep`.
 * The caller must persist `step` with a compare-and-set (`lastUsedStep < step`) so that two
 * concurrent requests with the same code cannot both succeed.
 */
export function verifyTotp({ secret, code, now, lastUsedStep }: VerifyTotpInput): TotpVerification {
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) return { ok: false, reason: 'malformed_code' };
  const key = base32Decode(secret);
  const given = Buffer.from(code, 'ascii');
  const current = totpStepAt(now);

  // Compare against every step in the window (no early exit) so timing does not reveal which matched.
  let fresh: number | null = null;
  let stale = false;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    if (step < 0) continue;
    const matches = timingSafeEqual(Buffer.from(hotp(key, step, TOTP_DIGITS), 'ascii'), given);
    if (!matches) continue;
    if (lastUsedStep === null || step > lastUsedStep) fresh = step;
    else stale = true;
  }
  if (fresh !== null) return { ok: true, step: fresh };
  return { ok: false, reason: stale ? 'replayed_code' : 'invalid_code' };
}

/** RFC 4226 HOTP with HMAC-SHA-1 and dynamic truncation. */
export function hotp(key: Buffer, counter: number, digits: number = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function base32Encode(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Strict RFC 4648 base32 (case-insensitive, optional padding); a bad stored secret is an internal error. */
export function base32Decode(input: string): Buffer {
  const clean = input.toUpperCase().replace(/=+$/, '');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new AppError('internal', 'TOTP_SECRET_INVALID', 'Stored TOTP secret is not valid base32');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (out.length === 0) throw new AppError('internal', 'TOTP_SECRET_INVALID', 'Stored TOTP secret is empty');
  return Buffer.from(out);
}
