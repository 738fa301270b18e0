import { describeMfaMethods } from './mfa-methods';

describe('GET /mfa/methods rules', () => {
  it('lists all three methods in order; configured = enabled or disabled; availability from the allowed list', () => {
    const methods = describeMfaMethods({ GOOGLE_AUTH: 'disabled', MAGIC_LINK: 'pending', PASSKEY: 'enabled' }, ['GOOGLE_AUTH', 'PASSKEY']);
    expect(methods.map(({ type, isAvailable, isConfigured, isEnabled }) => ({ type, isAvailable, isConfigured, isEnabled }))).toEqual([
      { type: 'GOOGLE_AUTH', isAvailable: true, isConfigured: true, isEnabled: false },
      { type: 'MAGIC_LINK', isAvailable: false, isConfigured: false, isEnabled: false },
      { type: 'PASSKEY', isAvailable: true, isConfigured: true, isEnabled: true },
    ]);
    for (const m of methods) {
      expect(m.name.length).toBeGreaterThan(0);
      expect(m.description.length).toBeGreaterThan(0);
    }
  });
});
