import { EXPIRED_ENTRY_GRACE_MS, firstRemovableAt, withoutExpiredEntries } from './expired-entries';
import { newUserMfa, UserMfaState } from './user-mfa';

describe('expired transient entries of a user document', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);
  const link = (tokenHash: string, expiresAt: Date) => ({ tokenHash, purpose: 'login' as const, email: 'a@example.com', expiresAt });
  const challenge = (id: string, expiresAt: Date) => ({ challenge: id, ceremony: 'authentication' as const, expiresAt });
  const given = (): UserMfaState => ({
    ...newUserMfa('u1', null),
    magicLinks: [link('old', at(-EXPIRED_ENTRY_GRACE_MS - 1)), link('recent', at(-1000)), link('live', at(60_000))],
    passkeyChallenges: [challenge('old', at(-EXPIRED_ENTRY_GRACE_MS)), challenge('live', at(60_000))],
  });

  it('drops magic links and challenges expired for longer than the grace; keeps live and recently expired ones', () => {
    const pruned = withoutExpiredEntries(given(), now);
    expect(pruned.magicLinks.map((l) => l.tokenHash)).toEqual(['recent', 'live']);
    expect(pruned.passkeyChallenges.map((c) => c.challenge)).toEqual(['live']);
  });

  it('leaves a state with nothing to drop as it is', () => {
    const state = { ...given(), magicLinks: [link('live', at(60_000))], passkeyChallenges: [] };
    expect(withoutExpiredEntries(state, now)).toBe(state);
  });

  const pendingTotp = (expiresAt: Date): UserMfaState => ({
    ...newUserMfa('u1', null),
    methods: { ...newUserMfa('u1', null).methods, GOOGLE_AUTH: { status: 'pending', configuredAt: null, enabledAt: null } },
    totp: {
      secret: { keyId: 'k1', iv: 'iv', tag: 'tag', ciphertext: 'sealed' },
      lastUsedStep: null,
      pendingExpiresAt: expiresAt,
      pendingBackupCodes: [{ hash: 'h1', usedAt: null }],
    },
    backupCodes: [{ hash: 'kept', usedAt: null }],
  });

  it('an authenticator-app setup never verified: its sealed secret and pending codes leave after the grace, the method is "none" again', () => {
    const abandoned = withoutExpiredEntries(pendingTotp(at(-EXPIRED_ENTRY_GRACE_MS - 1)), now);
    expect(abandoned.totp).toBeNull();
    expect(abandoned.methods.GOOGLE_AUTH).toEqual({ status: 'none', configuredAt: null, enabledAt: null });
    expect(abandoned.backupCodes).toEqual([{ hash: 'kept', usedAt: null }]);
    // Recently expired (still answered SETUP_EXPIRED) and enabled ones stay.
    const recent = pendingTotp(at(-1000));
    expect(withoutExpiredEntries(recent, now)).toBe(recent);
    const enabled = {
      ...pendingTotp(at(-EXPIRED_ENTRY_GRACE_MS - 1)),
      methods: { ...recent.methods, GOOGLE_AUTH: { status: 'enabled' as const, configuredAt: now, enabledAt: now } },
    };
    expect(withoutExpiredEntries(enabled, now)).toBe(enabled);
    expect(firstRemovableAt(pendingTotp(at(60_000)))).toEqual(at(60_000 + EXPIRED_ENTRY_GRACE_MS));
    expect(firstRemovableAt(enabled)).toBeNull();
  });

  it('names when the first entry becomes removable, or null', () => {
    expect(firstRemovableAt(given())).toEqual(at(-1));
    expect(firstRemovableAt(newUserMfa('u1', null))).toBeNull();
  });
});
