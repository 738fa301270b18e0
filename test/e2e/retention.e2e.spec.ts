import { BSON, MongoClient } from 'mongodb';
import { documentIds } from '../harness/document-ids';
import { eventually } from '../harness/eventually';
import { startTestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { signToken } from '../harness/tokens';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/**
 * Bounded data: bookkeeping collections expire (TTL indexes on MongoDB; on FerretDB, which has
 * none, the same retention by a sweep at start-up and every RETENTION_SWEEP_INTERVAL_MS); the
 * event log, the audit store, is kept unless EVENT_LOG_RETENTION_DAYS says otherwise.
 */
describe('retention', () => {
  let mongo: MongoClient;
  beforeAll(async () => (mongo = await MongoClient.connect(requireInfra().mongoUrl)));
  afterAll(async () => mongo.close());

  const ids = (dbName: string, collection: string) => documentIds(mongo, dbName, collection);

  it('expired inbox entries, dead letters and superseded jobs go; recent, unfinished and current ones stay; the event log stays by default', async () => {
    const dbName = uniqueName('mfa_retention');
    const db = mongo.db(dbName);
    await db.collection('membership_inbox').insertMany([
      { _id: 'done-40d' as never, status: 'done', leaseUntil: ago(40), processedAt: ago(40) },
      { _id: 'done-1d' as never, status: 'done', leaseUntil: ago(1), processedAt: ago(1) },
      { _id: 'processing' as never, status: 'processing', leaseUntil: ago(40) },
    ]);
    await db.collection('outbox_dead_letters').insertMany([
      { _id: 'dead-100d' as never, deadLetteredAt: ago(100) },
      { _id: 'dead-10d' as never, deadLetteredAt: ago(10) },
    ]);
    await db.collection('enforcement_jobs').insertMany([
      { _id: 'superseded-40d' as never, status: 'superseded', finishedAt: ago(40), supersededAt: ago(40), createdAt: ago(41) },
      { _id: 'superseded-2d' as never, status: 'superseded', finishedAt: ago(2), supersededAt: ago(2), createdAt: ago(3) },
      { _id: 'done-400d' as never, status: 'done', finishedAt: ago(400), createdAt: ago(401) },
    ]);
    await db.collection('event_log').insertOne({ _id: 'audit-3y' as never, time: ago(3 * 365), type: 'OrgMfaEnforced' });

    const t = await startTestApp({ env: { MONGO_DB_NAME: dbName } });
    try {
      await eventually(
        () => ids(dbName, 'membership_inbox'),
        (got) => !got.includes('done-40d'),
        'the expired inbox entry to go',
      );
      // The app's consumer also records other suites' events from the shared membership topic: judge the seeded entries.
      const seededInbox = ['done-40d', 'done-1d', 'processing'];
      expect((await ids(dbName, 'membership_inbox')).filter((id) => seededInbox.includes(id))).toEqual(['done-1d', 'processing']);
      expect(await ids(dbName, 'outbox_dead_letters')).toEqual(['dead-10d']);
      expect(await ids(dbName, 'enforcement_jobs')).toEqual(['done-400d', 'superseded-2d']);
      expect(await ids(dbName, 'event_log')).toEqual(['audit-3y']);

      // What one event adds to the audit store (documented in the README).
      const orgId = uniqueName('org-size');
      const res = await t.http
        .post('/mfa/organization/enforce')
        .set('Authorization', `Bearer ${await signToken({ sub: 'owner', orgId, orgRole: 255 })}`)
        .send({ enforced: true });
      expect(res.status).toBe(200);
      const logged = await eventually(
        () => db.collection('event_log').findOne({ orgId }),
        (d) => d !== null,
        'the event in the log',
      );
      const bytes = BSON.calculateObjectSize(logged!);
      expect(bytes).toBeLessThan(2048);
      process.stdout.write(`event_log: one OrgMfaEnforced document is ${bytes} bytes of BSON\n`);
    } finally {
      await t.close();
    }
  });

  it('EVENT_LOG_RETENTION_DAYS expires audit events older than it (TTL index time_ttl_<days>d_v1)', async () => {
    const dbName = uniqueName('mfa_retention');
    const db = mongo.db(dbName);
    await db.collection('event_log').insertMany([
      { _id: 'audit-3y' as never, time: ago(3 * 365), type: 'OrgMfaEnforced' },
      { _id: 'audit-100d' as never, time: ago(100), type: 'OrgMfaEnforced' },
    ]);
    const t = await startTestApp({ env: { MONGO_DB_NAME: dbName, EVENT_LOG_RETENTION_DAYS: '365' } });
    try {
      await eventually(
        () => ids(dbName, 'event_log'),
        (got) => !got.includes('audit-3y'),
        'the old audit event to go',
      );
      expect(await ids(dbName, 'event_log')).toEqual(['audit-100d']);
      const names = (await db.collection('event_log').listIndexes().toArray()).map((i) => i.name);
      expect(names).toContain('time_ttl_365d_v1');
    } finally {
      await t.close();
    }
  });
});
