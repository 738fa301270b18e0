import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** 32 random bytes (256 bits) as unpadded base64url: always 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedTrustedDevice {
  /** Public id of the device (lists, revocation, events); unrelated to the token. */
  id: string;
  /** Returned once to the client; never stored. */
  token: string;
  /** SHA-256 hex of the token: the only form stored. */
  tokenHash: string;
}

export function issueTrustedDeviceToken(): IssuedTrustedDevice {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { id: `td-${randomUUID()}`, token, tokenHash: sha256Hex(token) };
}

/** The hash to compare, or null when the input cannot be a token we issued (malformed). */
export function hashTrustedDeviceToken(token: unknown): string | null {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return null;
  return sha256Hex(token);
}

/** A passkey's public authenticator id: stable, unique with the credential id, and not the credential id itself. */
export function passkeyAuthenticatorId(credentialId: string): string {
  return `pk-${createHash('sha256').update(credentialId, 'utf8').digest('base64url').slice(0, 22)}`;
}

function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
