import { authenticator } from 'otplib';
import { base32Decode, base32Encode, generateTotpSecret, hotp, totpStepAt, totpUri, verifyTotp } from './totp';

const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');

/** Code for `step` using our HOTP over the secret (tests only). */
const codeAt = (secret: string, step: number): string => hotp(base32Decode(secret), step, 6);
const at = (step: number, offsetSeconds = 0): Date => new Date((step * 30 + offsetSeconds) * 1000);

describe('HOTP / TOTP primitives', () => {
  it('matches the RFC 4226 appendix D HOTP values', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => expect(hotp(RFC_KEY, counter, 6)).toBe(code));
  });

  it('matches the RFC 6238 appendix B SHA-1 vectors (8 digits, and their 6-digit forms)', () => {
    const vectors: Array<[number, string]> = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) {
      const step = totpStepAt(new Date(seconds * 1000));
      expect(hotp(RFC_KEY, step, 8)).toBe(code);
      expect(hotp(RFC_KEY, step, 6)).toBe(code.slice(2));
    }
  });

  it('agrees with otplib for a generated secret', () => {
    const secret = generateTotpSecret();
    for (const epoch of [0, 1_700_000_000_000, 1_700_000_029_999, 4_102_444_800_000]) {
      const otplib = authenticator.clone({ epoch, step: 30, digits: 6, window: 0 });
      expect(codeAt(secret, totpStepAt(new Date(epoch)))).toBe(otplib.generate(secret));
    }
  });

  it('base32 round-trips and matches RFC 4648 test vectors', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('f'))).toBe('MY');
    expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
    const bytes = Buffer.from('00ff10e0a5', 'hex');
    expect(base32Decode(base32Encode(bytes)).equals(bytes)).toBe(true);
  });

  it('generates 160-bit random base32 secrets', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(a).not.toBe(b);
  });
});

describe('totpUri', () => {
  it('builds an otpauth URI with Issuer:account label and issuer parameter', () => {
    const uri = totpUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Acme Corp', accountName: 'ann@example.com' });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(uri.startsWith('otpauth://totp/Acme%20Corp:ann%40example.com?')).toBe(true);
    expect(url.searchParams.get('secret')).toBe('JBSWY3DPEHPK3PXP');
    expect(url.searchParams.get('issuer')).toBe('Acme Corp');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });
});

describe('verifyTotp', () => {
  const secret = generateTotpSecret();
  const step = 56_666_666;

  it('accepts the previous, current and next step and returns the matched step', () => {
    for (const delta of [-1, 0, 1]) {
      const result = verifyTotp({ secret, code: codeAt(secret, step + delta), now: at(step, 15), lastUsedStep: null });
      expect(result).toEqual({ ok: true, step: step + delta });
    }
  });

  it('accepts at the first and last second of the current step', () => {
    const code = codeAt(secret, step);
    expect(verifyTotp({ secret, code, now: at(step, 0), lastUsedStep: null })).toEqual({ ok: true, step });
    expect(verifyTotp({ secret, code, now: new Date((step + 1) * 30_000 - 1), lastUsedStep: null })).toEqual({ ok: true, step });
  });

  it('rejects codes two steps away', () => {
    for (const delta of [-2, 2]) {
      const code = codeAt(secret, step + delta);
      // Guard against a chance collision with a code inside the window.
      if ([-1, 0, 1].some((d) => codeAt(secret, step + d) === code)) continue;
      expect(verifyTotp({ secret, code, now: at(step, 15), lastUsedStep: null })).toEqual({ ok: false, reason: 'invalid_code' });
    }
  });

  it('rejects the window edge exactly: step-1 code stops working when the clock reaches step+1', () => {
    const code = codeAt(secret, step - 1);
    expect(verifyTotp({ secret, code, now: new Date((step + 1) * 30_000 - 1), lastUsedStep: null }).ok).toBe(true);
    expect(verifyTotp({ secret, code, now: at(step + 1, 0), lastUsedStep: null }).ok).toBe(false);
  });

  it('rejects a replayed code for the same or an older step', () => {
    const code = codeAt(secret, step);
    const first = verifyTotp({ secret, code, now: at(step, 5), lastUsedStep: step - 5 });
    expect(first).toEqual({ ok: true, step });
    expect(verifyTotp({ secret, code, now: at(step, 6), lastUsedStep: step })).toEqual({ ok: false, reason: 'replayed_code' });
    expect(verifyTotp({ secret, code: codeAt(secret, step - 1), now: at(step, 6), lastUsedStep: step })).toEqual({
      ok: false,
      reason: 'replayed_code',
    });
  });

  it('still accepts a later step after an earlier one was used', () => {
    const result = verifyTotp({ secret, code: codeAt(secret, step + 1), now: at(step, 29), lastUsedStep: step });
    expect(result).toEqual({ ok: true, step: step + 1 });
  });

  it('reports a wrong code as invalid, not replayed, even when a step was used', () => {
    const used = new Set([-1, 0, 1].map((d) => codeAt(secret, step + d)));
    const wrong = ['000000', '123456', '999999'].find((c) => !used.has(c)) ?? '111111';
    expect(verifyTotp({ secret, code: wrong, now: at(step, 1), lastUsedStep: step })).toEqual({ ok: false, reason: 'invalid_code' });
  });

  it('rejects malformed codes before computing anything', () => {
    const good = codeAt(secret, step);
    for (const code of [good.slice(0, 5), `${good}0`, ` ${good}`, `${good.slice(0, 3)} ${good.slice(3)}`, '12a456', '１２３４５６', '', '-12345', '1e5000']) {
      expect(verifyTotp({ secret, code, now: at(step), lastUsedStep: null })).toEqual({ ok: false, reason: 'malformed_code' });
    }
    expect(verifyTotp({ secret, code: 123456 as unknown as string, now: at(step), lastUsedStep: null })).toEqual({
      ok: false,
      reason: 'malformed_code',
    });
  });
});
