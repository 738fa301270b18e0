import { MongoClient } from 'mongodb';
import { documentIds } from '../harness/document-ids';
import { eventually } from '../harness/eventually';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { memberKey } from '../../apps/mfa-service/src/membership/org-member.document';
import { ExemptionsMigration } from '../../apps/mfa-service/src/org-policy/infra/exemptions.migration';
import { ORG_EXEMPTIONS_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-exemption.document';
import { ORG_POLICY_COLLECTION } from '../../apps/mfa-service/src/org-policy/infra/org-policy.document';
import { EXPIRED_ENTRY_GRACE_MS } from '../../apps/mfa-service/src/user-mfa/domain/expired-entries';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const at = (ms: number) => new Date(Date.now() + ms);

/**
 * Bounded data, the rest of issue 12: expired exemptions (a day after) and stale outbox leases go (TTL indexes on
 * MongoDB; on FerretDB, which has none, the retention sweep at start-up), long-expired magic links
 * and challenges leave user documents (on the next write, and by a version-guarded sweep), and
 * exemptions kept in policy documents by older versions move to their own collection once.
 */
describe('expired data is cleaned; in-document exemptions are migrated', () => {
  let mongo: MongoClient;
  beforeAll(async () => (mongo = await MongoClient.connect(requireInfra().mongoUrl)));
  afterAll(async () => mongo.close());
  const ids = (dbName: string, collection: string) => documentIds(mongo, dbName, collection);

  it('expired and revoked exemptions and stale outbox leases go; live ones stay', async () => {
    const dbName = uniqueName('mfa_expired');
    const db = mongo.db(dbName);
    const exemption = (userId: string, activeUntil: Date, extra: object = {}) => ({
      _id: memberKey('org-x', userId),
      orgId: 'org-x',
      userId,
      reason: 'r',
      expiresAt: activeUntil,
      grantedBy: 'admin',
      grantedAt: at(-10 * DAY),
      revision: 1,
      activeUntil,
      ...extra,
    });
    await db.collection(ORG_EXEMPTIONS_COLLECTION).insertMany([
      exemption('expired', at(-2 * DAY)),
      exemption('revoked', at(-2 * DAY), { revokedAt: at(-2 * DAY) }),
      // Kept a day after it stopped counting, so a late older change cannot bring it back.
      exemption('revoked-recently', at(-HOUR), { revokedAt: at(-HOUR) }),
      exemption('live', at(DAY)),
    ] as never[]);
    await db.collection('outbox_leases').insertMany([
      { _id: 'user_mfa:crashed' as never, owner: 'dead-instance', until: at(-2 * HOUR) },
      { _id: 'user_mfa:live' as never, owner: 'someone', until: at(30_000) },
    ]);
    const t = await startTestApp({ env: { MONGO_DB_NAME: dbName } });
    try {
      await eventually(
        () => ids(dbName, ORG_EXEMPTIONS_COLLECTION),
        (got) => got.length === 2,
        'expired exemptions to go',
      );
      expect(await ids(dbName, ORG_EXEMPTIONS_COLLECTION)).toEqual([memberKey('org-x', 'live'), memberKey('org-x', 'revoked-recently')].sort());
      await eventually(
        () => ids(dbName, 'outbox_leases'),
        (got) => !got.includes('user_mfa:crashed'),
        'the stale lease to go',
      );
      expect(await ids(dbName, 'outbox_leases')).toEqual(['user_mfa:live']);
      const names = (await db.collection(ORG_EXEMPTIONS_COLLECTION).listIndexes().toArray()).map((i) => i.name);
      expect(names).toEqual(expect.arrayContaining(['orgId_userId_v1', 'activeUntil_ttl_1d_v1']));
    } finally {
      await t.close();
    }
  });

  it('long-expired magic links, challenges and authenticator-app setups never verified leave user documents: by the sweep (no event, version-guarded) and on the next write', async () => {
    const dbName = uniqueName('mfa_expired');
    const db = mongo.db(dbName);
    const link = (tokenHash: string, expiresAt: Date) => ({ tokenHash, purpose: 'login', email: 'a@example.com', expiresAt });
    const challenge = (id: string, expiresAt: Date) => ({ challenge: id, ceremony: 'authentication', expiresAt });
    const longAgo = at(-EXPIRED_ENTRY_GRACE_MS - HOUR);
    const base = { orgId: null, enabledMethods: [], primaryMethod: null, version: 3, lastSequence: 2 };
    await db.collection(USER_MFA_COLLECTION).insertMany([
      // Swept: it has entries past their grace and says so.
      {
        _id: 'stale' as never,
        ...base,
        magicLinks: [link('old', longAgo), link('fresh', at(10 * 60_000))],
        magicLinkHashes: ['old', 'fresh'],
        passkeyChallenges: [challenge('old', longAgo), challenge('fresh', at(5 * 60_000))],
        pruneAt: at(-HOUR),
      },
      // Nothing past its grace: left alone.
      {
        _id: 'current' as never,
        ...base,
        magicLinks: [link('recent', at(-60_000))],
        magicLinkHashes: ['recent'],
        passkeyChallenges: [],
        pruneAt: at(EXPIRED_ENTRY_GRACE_MS - 60_000),
      },
      // An authenticator-app setup never verified: swept with its sealed secret and pending codes.
      {
        _id: 'abandoned' as never,
        ...base,
        methods: {
          GOOGLE_AUTH: { status: 'pending', configuredAt: null, enabledAt: null },
          MAGIC_LINK: { status: 'none', configuredAt: null, enabledAt: null },
          PASSKEY: { status: 'none', configuredAt: null, enabledAt: null },
        },
        totp: {
          secret: { keyId: 'k-old', iv: 'aXY=', tag: 'dGFn', ciphertext: 'c2VhbGVk' },
          lastUsedStep: null,
          pendingExpiresAt: longAgo,
          pendingBackupCodes: [{ hash: 'pending-code', usedAt: null }],
        },
        magicLinks: [],
        magicLinkHashes: [],
        passkeyChallenges: [],
        pruneAt: at(-HOUR),
      },
      // Written before `pruneAt` existed: cleaned by its own next write.
      { _id: 'writer' as never, ...base, magicLinks: [link('old-w', longAgo)], magicLinkHashes: ['old-w'], passkeyChallenges: [challenge('old-w', longAgo)] },
    ]);
    const before = await db.collection(USER_MFA_COLLECTION).findOne({ _id: 'current' as never });
    const t: TestApp = await startTestApp({ env: { MONGO_DB_NAME: dbName } });
    try {
      const stale = await eventually(
        () => db.collection(USER_MFA_COLLECTION).findOne({ _id: 'stale' as never }),
        (doc) => doc?.version === 4,
        'the sweep to rewrite the stale document',
      );
      expect(stale!.magicLinks.map((l: { tokenHash: string }) => l.tokenHash)).toEqual(['fresh']);
      expect(stale!.magicLinkHashes).toEqual(['fresh']);
      expect(stale!.passkeyChallenges.map((c: { challenge: string }) => c.challenge)).toEqual(['fresh']);
      // The next time it needs looking at: when the fresh challenge's grace ends.
      expect(stale!.pruneAt.getTime()).toBeGreaterThan(Date.now());
      expect(stale!.lastSequence).toBe(2);
      expect(stale!.outbox ?? []).toEqual([]);
      expect(await db.collection(USER_MFA_COLLECTION).findOne({ _id: 'current' as never })).toEqual(before);
      expect((await db.collection(USER_MFA_COLLECTION).findOne({ _id: 'writer' as never }))?.version).toBe(3);
      const abandoned = await eventually(
        () => db.collection(USER_MFA_COLLECTION).findOne({ _id: 'abandoned' as never }),
        (doc) => doc?.version === 4,
        'the sweep to rewrite the abandoned setup',
      );
      expect([abandoned!.totp, abandoned!.methods.GOOGLE_AUTH.status, abandoned!.pruneAt, abandoned!.lastSequence]).toEqual([null, 'none', null, 2]);

      // A legitimate write of the user's own drops them too.
      const res = await t.http
        .post('/mfa/setup')
        .set('Authorization', `Bearer ${await t.token({ sub: 'writer' })}`)
        .send({ mfaType: 'GOOGLE_AUTH' });
      expect(res.status).toBe(200);
      const written = await db.collection(USER_MFA_COLLECTION).findOne({ _id: 'writer' as never });
      expect([written?.magicLinks, written?.magicLinkHashes, written?.passkeyChallenges]).toEqual([[], [], []]);
      // What is left to look at later: the setup just started, once its grace has passed.
      expect(written?.pruneAt).toEqual(new Date(written!.totp.pendingExpiresAt.getTime() + EXPIRED_ENTRY_GRACE_MS));
    } finally {
      await t.close();
    }
  });

  it('exemptions in policy documents move to their own collection once, two instances starting together, newer changes kept', async () => {
    const dbName = uniqueName('mfa_migrate');
    const db = mongo.db(dbName);
    const grantedAt = at(-DAY);
    const legacy = (userId: string, expiresAt: Date | null) => ({ userId, reason: `r-${userId}`, expiresAt, grantedBy: 'admin', grantedAt });
    await db.collection(ORG_POLICY_COLLECTION).insertOne({
      _id: 'org-old' as never,
      enforced: true,
      enforcedAt: grantedAt,
      enforcedBy: 'admin',
      gracePeriodDays: 0,
      enforcementDeadline: grantedAt,
      allowedMethods: ['GOOGLE_AUTH'],
      exemptions: [legacy('u-forever', null), legacy('u-month', at(30 * DAY)), legacy('u-revoked-since', at(30 * DAY))],
      version: 4,
      lastSequence: 4,
    });
    // A change made by the new version meanwhile (revision 5) outranks the copy in the array.
    await db.collection(ORG_EXEMPTIONS_COLLECTION).insertOne({
      _id: memberKey('org-old', 'u-revoked-since') as never,
      orgId: 'org-old',
      userId: 'u-revoked-since',
      revision: 5,
      revokedAt: at(-60_000),
      activeUntil: at(-60_000),
    });
    const [a, b] = await Promise.all([startTestApp({ env: { MONGO_DB_NAME: dbName } }), startTestApp({ env: { MONGO_DB_NAME: dbName } })]);
    try {
      const policy = await db.collection(ORG_POLICY_COLLECTION).findOne({ _id: 'org-old' as never });
      expect(policy?.exemptions).toBeUndefined();
      expect(policy?.version).toBe(4);
      const stored = await db.collection(ORG_EXEMPTIONS_COLLECTION).find({ orgId: 'org-old' }).sort({ _id: 1 }).toArray();
      expect(stored.map((e) => [e.userId, e.revision, e.expiresAt ?? null])).toEqual([
        ['u-forever', 0, null],
        ['u-month', 0, expect.any(Date)],
        ['u-revoked-since', 5, null],
      ]);
      expect(await db.collection('migrations').countDocuments({ _id: 'org-exemptions-v1' as never })).toBe(1);
      // Idempotent: a second run moves nothing and changes nothing.
      expect(await a.app.get(ExemptionsMigration).run()).toBe(0);
      expect(await db.collection(ORG_EXEMPTIONS_COLLECTION).find({ orgId: 'org-old' }).sort({ _id: 1 }).toArray()).toEqual(stored);

      // The migrated exemptions are what status reads: exempt, exempt, and the revoked one not.
      const statusOf = async (sub: string) =>
        (await b.http.get('/mfa/status').set('Authorization', `Bearer ${await b.token({ sub, orgId: 'org-old', orgRole: 0 })}`)).body.data;
      expect(await statusOf('u-forever')).toMatchObject({ exempt: true, isEnforced: false });
      expect(await statusOf('u-month')).toMatchObject({ exempt: true, isEnforced: false });
      expect(await statusOf('u-revoked-since')).toMatchObject({ exempt: false, isEnforced: true });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
