import { Topics } from '@mfa/contracts';
import type { EventEnvelope } from '@mfa/contracts';
import { createHash } from 'node:crypto';
import { KafkaCollector } from '../harness/kafka-collector';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { OUTBOX_DEAD_LETTERS_COLLECTION, OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';
import { STEPPED_UP } from '../harness/tokens';

const INVALID = { success: false, error: 'Invalid or expired token', code: 'INVALID_TOKEN' };
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('user MFA factor management: MAGIC_LINK (HTTP → MongoDB → outbox → Kafka)', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  /** Every plaintext token a test saw: none may appear in a stored document, the event log or a user-mfa record. */
  const tokens: string[] = [];

  beforeAll(async () => {
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.userMfa, Topics.delivery]);
    t = await startTestApp();
  });
  afterAll(async () => {
    // Nothing stored anywhere holds a plaintext token (the delivery topic is the one place it travels).
    expect(tokens.length).toBeGreaterThan(0);
    await settle();
    expectNoTokensIn(JSON.stringify(await t.db.collection(USER_MFA_COLLECTION).find({}).toArray()));
    expectNoTokensIn(JSON.stringify(await t.db.collection('event_log').find({}).toArray()));
    await t.close();
    await kafka.stop();
  });

  /** `email: null` signs a token without an email claim. */
  const auth = async (sub: string, orgId?: string, email: string | null = `${sub}@example.com`) =>
    `Bearer ${await t.token({ sub, orgId, orgRole: 0, email: email ?? undefined, amr: STEPPED_UP })}`;
  const post = async (path: string, who: string, body?: unknown, orgId?: string) => {
    const req = t.http.post(path).set('Authorization', await auth(who, orgId));
    return body === undefined ? req : req.send(body as object);
  };
  const activate = (body: unknown) => t.http.post('/mfa/magic-link/activate').send(body as object);
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
  const settle = async () => {
    await t.app.get(OutboxRelay).whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 400));
  };
  const linkEvents = (userId: string) => kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested');
  /** The token of the `n`-th (1-based) link delivered to the user. */
  async function deliveredToken(userId: string, n = 1): Promise<{ token: string; event: EventEnvelope }> {
    await kafka.waitFor(() => linkEvents(userId).length >= n, 20_000, `MagicLinkRequested #${n}`);
    const event = linkEvents(userId)[n - 1];
    const token = new URL((event.data as { link: string }).link).searchParams.get('token')!;
    tokens.push(token);
    return { token, event };
  }
  function expectNoTokensIn(text: string): void {
    for (const token of tokens) expect(text).not.toContain(token);
  }

  it('setup → MagicLinkRequested on the delivery topic → activate without bearer → enabled and primary; only the hash is stored', async () => {
    const userId = uniqueName('ml-user');
    const orgId = uniqueName('org');

    const setup = await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK' }, orgId);
    expect(setup.status).toBe(200);
    expect(setup.body).toEqual({ success: true, data: { email: `${userId}@example.com`, verificationRequired: true } });

    const { token, event } = await deliveredToken(userId);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(event.data).toEqual({
      userId,
      email: `${userId}@example.com`,
      purpose: 'setup',
      link: `http://localhost:3000/mfa/magic-link/activate?token=${token}`,
      expiresAt: expect.any(String),
    });
    const expiresIn = Date.parse((event.data as { expiresAt: string }).expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
    const record = kafka.records.find((r) => r.topic === Topics.delivery && r.key === userId)!;
    expect(record).toBeDefined();
    expect(record.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: 'MagicLinkRequested',
      ce_source: 'mfa-service',
      ce_subject: userId,
      ce_actorid: userId,
      ce_actortype: 'user',
    });

    // Pending, the hash stored, never the token. (The link travels through the document's outbox
    // until the relay has published it: once published, nothing in the document holds the token.)
    await settle();
    const pending = await doc(userId);
    expect(pending?.outbox ?? []).toEqual([]);
    expect(pending).toMatchObject({ methods: { MAGIC_LINK: { status: 'pending' } }, magicLinkHashes: [sha256(token)], email: `${userId}@example.com` });
    expectNoTokensIn(JSON.stringify(pending));

    const activated = await activate({ token });
    expect(activated.status).toBe(200);
    expect(activated.body).toEqual({ success: true, message: 'Magic link MFA activated successfully' });

    const status = await t.http.get('/mfa/status').set('Authorization', await auth(userId, orgId));
    expect(status.body.data).toMatchObject({ isEnabled: true, enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK' });
    const enabled = await doc(userId);
    expect(enabled).toMatchObject({ magicLinks: [], magicLinkHashes: [], methods: { MAGIC_LINK: { status: 'enabled' } } });
    expectNoTokensIn(JSON.stringify(enabled));

    await kafka.waitFor((all) => all.filter((e) => e.subject === userId).length >= 4, 20_000, 'user-mfa events');
    await settle();
    const userEvents = kafka.events((e) => e.subject === userId && e.type !== 'MagicLinkRequested');
    expect(userEvents.map((e) => e.type)).toEqual(['MfaMethodSetupStarted', 'MfaMethodEnabled', 'MfaPrimaryMethodChanged']);
    expect(userEvents.map((e) => e.data)).toEqual([
      { userId, orgId, method: 'MAGIC_LINK' },
      { userId, orgId, method: 'MAGIC_LINK', isPrimary: true, enabledMethods: ['MAGIC_LINK'] },
      { userId, orgId, method: 'MAGIC_LINK', previous: null },
    ]);
    for (const r of kafka.records.filter((r) => r.key === userId && r.topic === Topics.userMfa)) {
      expectNoTokensIn(r.value);
      expectNoTokensIn(JSON.stringify(r.headers));
    }

    // The event log keeps that a link was requested, never the link or the address.
    const logged = await t.db.collection('event_log').find({ key: userId }).toArray();
    expect(logged).toHaveLength(4);
    const loggedLink = logged.find((e) => e.type === 'MagicLinkRequested')!;
    expect(loggedLink.data).toEqual({ userId, purpose: 'setup', expiresAt: expect.any(String), redacted: true });
    expectNoTokensIn(JSON.stringify(logged));
    expect(JSON.stringify(loggedLink)).not.toContain('@example.com');

    // Reuse: refused, nothing changes.
    const version = (await doc(userId))?.version;
    const reused = await activate({ token });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual(INVALID);
    expect((await doc(userId))?.version).toBe(version);

    // Setup again once enabled: 409 like TOTP.
    const again = await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK' }, orgId);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ success: false, code: 'METHOD_ALREADY_ENABLED' });

    // A login link (send after enabling) is not a setup link.
    const sent = await post('/mfa/magic-link/send', userId, undefined, orgId);
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ success: true, message: 'Magic link sent successfully' });
    const login = await deliveredToken(userId, 2);
    expect(login.event.data).toMatchObject({ purpose: 'login', email: `${userId}@example.com` });
    const loginUse = await activate({ token: login.token });
    expect(loginUse.status).toBe(400);
    expect(loginUse.body).toEqual(INVALID);
    expectNoTokensIn(JSON.stringify(await doc(userId)));

    // Disable → enable → reset, with status, the stored document and the events at each step.
    const statusOf = async () => (await t.http.get('/mfa/status').set('Authorization', await auth(userId, orgId))).body.data;
    expect((await post('/mfa/disable', userId, { mfaType: 'MAGIC_LINK' }, orgId)).body).toEqual({ success: true, message: 'MFA method disabled' });
    expect(await statusOf()).toMatchObject({ isEnabled: false, enabledMethods: [], primaryMethod: null });
    expect(await doc(userId)).toMatchObject({ methods: { MAGIC_LINK: { status: 'disabled' } }, email: `${userId}@example.com` });
    expect((await post('/mfa/enable', userId, { mfaType: 'MAGIC_LINK' }, orgId)).body).toEqual({ success: true, message: 'MFA method enabled' });
    expect(await statusOf()).toMatchObject({ isEnabled: true, enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK' });
    expect((await post('/mfa/reset', userId, {}, orgId)).body).toEqual({ success: true, message: 'MFA reset successfully' });
    expect(await statusOf()).toMatchObject({ isEnabled: false, enabledMethods: [], primaryMethod: null, backupCodesRemaining: 0 });
    const reset = await doc(userId);
    expect(reset).toMatchObject({ methods: { MAGIC_LINK: { status: 'none' } }, email: null, magicLinks: [], magicLinkHashes: [] });
    await kafka.waitFor(() => kafka.events((e) => e.subject === userId && e.type === 'MfaReset').length === 1, 20_000, 'MfaReset');
    await settle();
    expect(
      kafka
        .events((e) => e.subject === userId && e.type !== 'MagicLinkRequested')
        .map((e) => e.type)
        .slice(3),
    ).toEqual(['MfaMethodDisabled', 'MfaPrimaryMethodChanged', 'MfaMethodEnabled', 'MfaPrimaryMethodChanged', 'MfaReset']);
  });

  it('setup with an explicit address: only the one the token vouches for (else 403 EMAIL_NOT_VERIFIED, nothing written or sent); a bad address or none at all is 400 VALIDATION_FAILED on email', async () => {
    const userId = uniqueName('ml-email');
    const other = await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK', email: 'other@example.org' });
    expect(other.status).toBe(403);
    expect(other.body).toEqual({ success: false, error: 'Magic links can only be sent to the email address of your account', code: 'EMAIL_NOT_VERIFIED' });
    expect((await doc(userId))?.version).toBeUndefined();
    const vouched = `${userId}@Example.COM`;
    const ok = await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK', email: vouched });
    expect(ok.body).toEqual({ success: true, data: { email: vouched, verificationRequired: true } });
    const { event } = await deliveredToken(userId);
    expect(event.data).toMatchObject({ email: vouched, purpose: 'setup' });
    await settle();
    expect(linkEvents(userId)).toHaveLength(1);

    for (const email of ['not-an-email', `${'a'.repeat(250)}@example.com`, 42]) {
      const bad = await post('/mfa/setup', uniqueName('ml-bad'), { mfaType: 'MAGIC_LINK', email });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(bad.body.details.map((d: { field: string }) => d.field)).toContain('email');
    }
    const noEmailUser = uniqueName('ml-noemail');
    const none = await t.http
      .post('/mfa/setup')
      .set('Authorization', await auth(noEmailUser, undefined, null))
      .send({ mfaType: 'MAGIC_LINK' });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [{ field: 'email' }] });
    // send without any address: 404
    const send = await t.http.post('/mfa/magic-link/send').set('Authorization', await auth(noEmailUser, undefined, null));
    expect(send.status).toBe(404);
    expect(send.body).toMatchObject({ success: false, error: 'User not found' });
  });

  it('send before enabling issues a setup link that activates', async () => {
    const userId = uniqueName('ml-send');
    expect((await post('/mfa/magic-link/send', userId)).status).toBe(200);
    const { token, event } = await deliveredToken(userId);
    expect(event.data).toMatchObject({ purpose: 'setup' });
    expect((await activate({ token })).status).toBe(200);
  });

  it.each([
    ['a tampered token', 'tampered'],
    ['an unknown token', 'unknown'],
    ['a too short token', 'short'],
    ['a too long token', 'long'],
    ['a non-base64url token', 'alphabet'],
    ['a number', 'number'],
    ['a missing token field', 'missing'],
    ['an unknown field', 'extra'],
    ['an empty body', 'empty'],
  ])('%s is refused with 400 and changes nothing', async (_name, kind) => {
    const userId = uniqueName('ml-bad-token');
    await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK' });
    const { token } = await deliveredToken(userId);
    const version = (await doc(userId))?.version;
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const bodies: Record<string, unknown> = {
      tampered: { token: flipped },
      unknown: { token: 'x'.repeat(43) },
      short: { token: token.slice(0, 42) },
      long: { token: `${token}A` },
      alphabet: { token: `${token.slice(0, 42)}+` },
      number: { token: 12345 },
      missing: {},
      extra: { token, admin: true },
      empty: undefined,
    };
    const res = await activate(bodies[kind]);
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    if (['tampered', 'unknown', 'short', 'long', 'alphabet'].includes(kind)) expect(res.body).toEqual(INVALID);
    const after = await doc(userId);
    expect(after?.version).toBe(version);
    expect(after).toMatchObject({ methods: { MAGIC_LINK: { status: 'pending' } } });
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('magic links are rate limited per user: 429 RATE_LIMITED with Retry-After', async () => {
    const userId = uniqueName('ml-limited');
    for (let i = 0; i < 5; i++) expect((await post('/mfa/magic-link/send', userId)).status).toBe(200);
    const limited = await post('/mfa/magic-link/send', userId);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await post('/mfa/magic-link/send', uniqueName('ml-other'))).status).toBe(200);
    // Only the newest setup link is outstanding.
    const stored = await doc(userId);
    expect(stored?.magicLinkHashes).toHaveLength(1);
  });

  it('the same token activated twice at once: exactly one 200', async () => {
    const userId = uniqueName('ml-race');
    await post('/mfa/setup', userId, { mfaType: 'MAGIC_LINK' });
    const { token } = await deliveredToken(userId);
    const results = await Promise.all([1, 2, 3].map(() => activate({ token })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    await kafka.waitFor(() => kafka.events((e) => e.subject === userId && e.type === 'MfaMethodEnabled').length >= 1, 15_000);
    await settle();
    expect(kafka.events((e) => e.subject === userId && e.type === 'MfaMethodEnabled')).toHaveLength(1);
  });

  it('a link expires after 10 minutes: 400 INVALID_TOKEN, nothing enabled', async () => {
    const clock = new ManualClock(new Date());
    const app = await startTestApp({ clock });
    try {
      const userId = uniqueName('ml-expired');
      const bearer = `Bearer ${await app.token({ sub: userId, email: `${userId}@example.com`, amr: STEPPED_UP })}`;
      expect((await app.http.post('/mfa/setup').set('Authorization', bearer).send({ mfaType: 'MAGIC_LINK' })).status).toBe(200);
      const { token } = await deliveredToken(userId);
      clock.advance(11 * 60_000);
      const res = await app.http.post('/mfa/magic-link/activate').send({ token });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(INVALID);
      const stored = await app.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
      expect(stored).toMatchObject({ version: 1, enabledMethods: [], methods: { MAGIC_LINK: { status: 'pending' } } });
    } finally {
      await app.close();
    }
  });

  it('while a link waits in the outbox (relay stopped), the stored event holds it sealed, never the token', async () => {
    const app = await startTestApp();
    try {
      await app.app.get(OutboxRelay).onModuleDestroy(); // nothing is published from here on
      const userId = uniqueName('ml-sealed');
      const bearer = `Bearer ${await app.token({ sub: userId, email: `${userId}@example.com`, amr: STEPPED_UP })}`;
      expect((await app.http.post('/mfa/setup').set('Authorization', bearer).send({ mfaType: 'MAGIC_LINK' })).status).toBe(200);
      const stored = await app.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
      const waiting = (stored?.outbox as Array<{ type: string; data: Record<string, unknown> }>).find((e) => e.type === 'MagicLinkRequested')!;
      expect(waiting.data.link).toEqual({
        sealed: { keyId: expect.any(String), iv: expect.any(String), tag: expect.any(String), ciphertext: expect.any(String) },
      });
      expect(JSON.stringify(stored)).not.toMatch(/token=|activate\?/);
    } finally {
      await app.close();
    }
  });

  it('a sealed link that no longer opens (wrong key) is set aside in outbox_dead_letters, still sealed; the user’s other events still flow', async () => {
    const writer = await startTestApp();
    let relay: TestApp | null = null;
    try {
      await writer.app.get(OutboxRelay).onModuleDestroy();
      const userId = uniqueName('ml-poison');
      const bearer = `Bearer ${await writer.token({ sub: userId, email: `${userId}@example.com`, amr: STEPPED_UP })}`;
      expect((await writer.http.post('/mfa/setup').set('Authorization', bearer).send({ mfaType: 'MAGIC_LINK' })).status).toBe(200);
      const waiting =
        ((await writer.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never }))?.outbox as Array<{ id: string; type: string }>) ?? [];
      const link = waiting.find((e) => e.type === 'MagicLinkRequested')!;
      const setupStarted = waiting.find((e) => e.type === 'MfaMethodSetupStarted')!;

      // Same database, same key id, a different key: the sealed link cannot be opened.
      relay = await startTestApp({ env: { MONGO_DB_NAME: writer.env.MONGO_DB_NAME } });
      await kafka.waitFor(() => kafka.events((e) => e.id === setupStarted.id).length === 1, 20_000, 'MfaMethodSetupStarted');
      await relay.app.get(OutboxRelay).whenIdle();
      const deadLetter = await relay.db.collection(OUTBOX_DEAD_LETTERS_COLLECTION).findOne({ _id: link.id as never });
      expect(deadLetter).toMatchObject({
        collection: USER_MFA_COLLECTION,
        reason: expect.stringContaining('does not open with the configured keys'),
        event: { id: link.id, type: 'MagicLinkRequested', data: { link: { sealed: expect.any(Object) } } },
      });
      expect((await relay.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never }))?.outbox).toEqual([]);
      expect(await relay.db.collection('event_log').countDocuments({ _id: link.id as never })).toBe(0);
      expect(kafka.events((e) => e.id === link.id)).toHaveLength(0);

      // The outbox is not blocked: a new link, sealed with the current key, is delivered.
      const again = await relay.http
        .post('/mfa/magic-link/send')
        .set('Authorization', `Bearer ${await relay.token({ sub: userId, email: `${userId}@example.com`, amr: STEPPED_UP })}`);
      expect(again.status).toBe(200);
      const { token } = await deliveredToken(userId);
      expect((await relay.http.post('/mfa/magic-link/activate').send({ token })).status).toBe(200);
    } finally {
      await relay?.app.close();
      await writer.close();
    }
  });
});
