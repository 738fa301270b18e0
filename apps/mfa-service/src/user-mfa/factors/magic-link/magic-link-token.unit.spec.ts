import { createHash } from 'node:crypto';
import { MAGIC_LINK_TTL_MS, hashMagicLinkToken, isMagicLinkPurpose, issueMagicLinkToken, magicLinkExpiresAt, magicLinkUrl } from './magic-link-token';

describe('magic link tokens', () => {
  it('issues 256-bit base64url tokens and stores only their SHA-256', () => {
    const { token, tokenHash } = issueMagicLinkToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(tokenHash).not.toContain(token);
  });

  it('issues a different token every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => issueMagicLinkToken().token));
    expect(tokens.size).toBe(50);
  });

  it('hashes a well-formed token to the issued hash', () => {
    const { token, tokenHash } = issueMagicLinkToken();
    expect(hashMagicLinkToken(token)).toBe(tokenHash);
  });

  it('returns null for anything that is not a 43-character base64url token', () => {
    const { token } = issueMagicLinkToken();
    for (const bad of [
      token.slice(1),
      `${token}A`,
      `${token.slice(0, 42)}=`,
      `${token.slice(0, 42)}+`,
      ` ${token.slice(1)}`,
      '',
      42,
      null,
      undefined,
      { token },
    ]) {
      expect(hashMagicLinkToken(bad)).toBeNull();
    }
  });

  it('expires ten minutes after issue', () => {
    expect(MAGIC_LINK_TTL_MS).toBe(600_000);
    expect(magicLinkExpiresAt(new Date('2025-01-01T00:00:00Z')).toISOString()).toBe('2025-01-01T00:10:00.000Z');
  });

  it('knows the two purposes', () => {
    expect(isMagicLinkPurpose('setup')).toBe(true);
    expect(isMagicLinkPurpose('login')).toBe(true);
    expect(isMagicLinkPurpose('reset')).toBe(false);
  });
});

describe('magicLinkUrl', () => {
  it('adds the token as the `token` query parameter, keeping the base URL', () => {
    const { token } = issueMagicLinkToken();
    const url = new URL(magicLinkUrl('https://app.example/mfa/activate?lang=en', token));
    expect(url.origin + url.pathname).toBe('https://app.example/mfa/activate');
    expect(url.searchParams.get('lang')).toBe('en');
    expect(url.searchParams.get('token')).toBe(token);
    expect(hashMagicLinkToken(url.searchParams.get('token'))).toBe(hashMagicLinkToken(token));
  });
});
