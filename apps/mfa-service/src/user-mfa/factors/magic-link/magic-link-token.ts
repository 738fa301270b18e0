import { createHash, randomBytes } from 'node:crypto';

export type MagicLinkPurpose = 'setup' | 'login';
export const MAGIC_LINK_PURPOSES: readonly MagicLinkPurpose[] = ['setup', 'login'];

/** A magic link lives at most 10 minutes. */
export const MAGIC_LINK_TTL_MS = 10 * 60_000;

const TOKEN_BYTES = 32;
/** 32 bytes as unpadded base64url is always 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedMagicLinkToken {
  /** Goes into the emailed link only; never stored. */
  token: string;
  /** SHA-256 hex of the token: the only thing persisted. */
  tokenHash: string;
}

export function issueMagicLinkToken(): IssuedMagicLinkToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, tokenHash: sha256Hex(token) };
}

/** Hash to look the token up by, or null when the input cannot be a token we issued. */
export function hashMagicLinkToken(token: unknown): string | null {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return null;
  return sha256Hex(token);
}

export function magicLinkExpiresAt(now: Date): Date {
  return new Date(now.getTime() + MAGIC_LINK_TTL_MS);
}

export function isMagicLinkPurpose(value: unknown): value is MagicLinkPurpose {
  return typeof value === 'string' && (MAGIC_LINK_PURPOSES as readonly string[]).includes(value);
}

function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The link to deliver: `baseUrl` with the token as its `token` query parameter. */
export function magicLinkUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('token', token);
  return url.toString();
}

export interface IssuedMagicLink {
  /** The only form of the token that is stored. */
  tokenHash: string;
  /** The link to deliver: the token travels only inside it. */
  link: string;
  expiresAt: Date;
}

/** A fresh single-use link under `baseUrl`, valid for MAGIC_LINK_TTL_MS from `now`. */
export function issueMagicLink(baseUrl: string, now: Date): IssuedMagicLink {
  const { token, tokenHash } = issueMagicLinkToken();
  return { tokenHash, link: magicLinkUrl(baseUrl, token), expiresAt: magicLinkExpiresAt(now) };
}
