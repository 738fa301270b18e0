import { memberKey } from '../../apps/mfa-service/src/membership/org-member.document';
import { deadLetterTopic, encodeEvent, Topics } from '@mfa/contracts';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { KafkaCollector } from '../harness/kafka-collector';
import { TcpProxy } from '../harness/tcp-proxy';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { eventually } from '../harness/eventually';

const OWNER = 255;
const ADMIN = 254;
const USER = 0;
const DLQ = deadLetterTopic(Topics.membership);

let sequence = 0;
const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 12, minutes)).toISOString();

interface Sent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  time: string;
}

/** A record as the identity service publishes it: CloudEvents binary mode, key = userId. */
function membershipRecord(event: Sent, overrides: { schemaversion?: number } = {}) {
  const userId = String(event.data.userId ?? 'unknown');
  return encodeEvent({
    id: event.id,
    source: 'identity-service',
    type: event.type,
    specversion: '1.0',
    time: event.time,
    subject: userId,
    datacontenttype: 'application/json',
    dataschema: `urn:identity-service:event:${event.type}:v1`,
    schemaversion: overrides.schemaversion ?? 1,
    sequence: ++sequence,
    userid: userId,
    data: event.data,
  });
}

const event = (type: string, data: Record<string, unknown>, time: string): Sent => ({ id: randomUUID(), type, data, time });

describe('membership consumer (identity.membership.v1 → member read model)', () => {
  let t: TestApp;
  let producer: Producer;
  let dlq: KafkaCollector;

  beforeAll(async () => {
    t = await startTestApp();
    dlq = await KafkaCollector.start(requireInfra().kafkaBrokers, [DLQ]);
    producer = new Kafka({ clientId: uniqueName('identity'), brokers: requireInfra().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await dlq.stop();
    await t.close();
  });

  const send = async (...records: Array<ReturnType<typeof membershipRecord> | { key: string; value: Buffer | null; headers: Record<string, string> }>) =>
    producer.send({ topic: Topics.membership, acks: -1, messages: records });
  const publish = (...events: Sent[]) => send(...events.map((e) => membershipRecord(e)));
  const member = (orgId: string, userId: string) => t.db.collection('org_members').findOne({ _id: memberKey(orgId, userId) as never });
  const userMfa = (userId: string) => t.db.collection('user_mfa').findOne({ _id: userId as never });
  const inboxDone = (id: string) => t.db.collection('membership_inbox').countDocuments({ _id: id as never, status: 'done' });

  /** Records of one key stay in order on one partition: once `marker` is done, everything sent before it was handled. */
  const processedUpTo = async (marker: Sent) => {
    await publish(marker);
    await eventually(
      () => inboxDone(marker.id),
      (n) => n === 1,
      `event ${marker.type} ${marker.id}`,
    );
  };
  const orgSummary = async (orgId: string, ownerId: string) => {
    const auth = `Bearer ${await t.token({ sub: ownerId, orgId, orgRole: OWNER })}`;
    const policy = await t.http.get('/mfa/organization').set('Authorization', auth);
    const report = await t.http.get('/mfa/organization/members').set('Authorization', auth);
    expect(policy.status).toBe(200);
    expect(report.status).toBe(200);
    return { members: policy.body.data.members, userIds: report.body.data.items.map((m: { userId: string }) => m.userId) };
  };

  it('schema v2 `managed` marks the organization that manages the account; a v1 event leaves it as it was', async () => {
    const orgId = uniqueName('org-managed');
    const userId = uniqueName('managed-user');
    const v2 = (e: Sent) => send(membershipRecord(e, { schemaversion: 2 }));
    await v2(event('UserJoinedOrganization', { userId, orgId, role: USER, managed: true }, at(0)));
    const roleV1 = event('UserRoleChanged', { userId, orgId, role: ADMIN }, at(1));
    await processedUpTo(roleV1);
    expect(await member(orgId, userId)).toMatchObject({ role: ADMIN, managed: true, source: 'event' });
    const unmanaged = event('UserRoleChanged', { userId, orgId, role: ADMIN, managed: false }, at(2));
    await v2(unmanaged);
    await eventually(
      () => inboxDone(unmanaged.id),
      (n) => n === 1,
      'the v2 role change',
    );
    expect(await member(orgId, userId)).toMatchObject({ managed: false });
  });

  it('joins, role changes, leaves and deletion shape org_members, user_mfa.orgId and the compliance counts', async () => {
    const orgId = uniqueName('org');
    const otherOrg = uniqueName('org-other');
    const [owner, alice, bob] = ['owner', 'alice', 'bob'].map((n) => uniqueName(n));
    await publish(
      event('UserJoinedOrganization', { userId: owner, orgId, role: OWNER, joinedAt: '2025-06-01T00:00:00.000Z' }, at(0)),
      event('UserJoinedOrganization', { userId: alice, orgId, role: USER }, at(1)),
      event('UserJoinedOrganization', { userId: bob, orgId, role: USER }, at(2)),
    );
    await processedUpTo(event('UserRoleChanged', { userId: alice, orgId, role: ADMIN }, at(3)));

    expect(await member(orgId, owner)).toMatchObject({ orgId, userId: owner, role: OWNER, source: 'event', joinedAt: new Date('2025-06-01T00:00:00.000Z') });
    expect(await member(orgId, alice)).toMatchObject({ role: ADMIN, source: 'event', membershipUpdatedAt: new Date(at(3)) });
    expect(await userMfa(bob)).toMatchObject({ orgId });
    await t.db.collection('user_mfa').updateOne({ _id: alice as never }, { $set: { enabledMethods: ['GOOGLE_AUTH'] } });
    expect(await orgSummary(orgId, owner)).toEqual({
      members: { total: 3, compliant: 1, pending: 2, exempt: 0 },
      userIds: [alice, bob, owner].sort(),
    });

    // Bob leaves; Alice is deleted while also a member of another org; her MFA state stays.
    await publish(event('UserJoinedOrganization', { userId: alice, orgId: otherOrg, role: USER }, at(4)));
    await processedUpTo(event('UserLeftOrganization', { userId: bob, orgId }, at(5)));
    expect(await member(orgId, bob)).toBeNull();
    expect((await userMfa(bob))?.orgId).toBeUndefined();
    // A token issued before he left does not bring him back: the events own this membership.
    const staleToken = `Bearer ${await t.token({ sub: bob, orgId, orgRole: USER })}`;
    expect((await t.http.get('/mfa/status').set('Authorization', staleToken)).status).toBe(200);
    expect(await member(orgId, bob)).toBeNull();
    await processedUpTo(event('UserDeleted', { userId: alice }, at(6)));
    expect(await t.db.collection('org_members').countDocuments({ userId: alice })).toBe(0);
    expect(await userMfa(alice)).toMatchObject({ enabledMethods: ['GOOGLE_AUTH'] });
    expect((await userMfa(alice))?.orgId).toBeUndefined();
    expect(await orgSummary(orgId, owner)).toEqual({ members: { total: 1, compliant: 0, pending: 1, exempt: 0 }, userIds: [owner] });
  });

  it('leaving another org does not clear the user’s current organization', async () => {
    const [orgA, orgB] = [uniqueName('org-a'), uniqueName('org-b')];
    const carol = uniqueName('carol');
    await publish(
      event('UserJoinedOrganization', { userId: carol, orgId: orgA, role: USER }, at(0)),
      event('UserJoinedOrganization', { userId: carol, orgId: orgB, role: USER }, at(1)),
    );
    await processedUpTo(event('UserLeftOrganization', { userId: carol, orgId: orgA }, at(2)));
    expect(await userMfa(carol)).toMatchObject({ orgId: orgB });
    expect(await member(orgB, carol)).not.toBeNull();
  });

  it('a redelivered event (same id) is applied once', async () => {
    const orgId = uniqueName('org');
    const dave = uniqueName('dave');
    const joined = event('UserJoinedOrganization', { userId: dave, orgId, role: USER }, at(0));
    await processedUpTo(joined);
    // Changed behind the consumer's back: applying the redelivery again would reset the role.
    await t.db.collection('org_members').updateOne({ _id: `${orgId}:${dave}` as never }, { $set: { role: 42 } });
    await publish(joined);
    await processedUpTo(event('UserJoinedOrganization', { userId: dave, orgId: uniqueName('org-marker'), role: USER }, at(1)));
    expect(await member(orgId, dave)).toMatchObject({ role: 42 });
    expect(await t.db.collection('membership_inbox').countDocuments({ _id: joined.id as never })).toBe(1);
  });

  it('an older event for the same member after a newer one is ignored', async () => {
    const orgId = uniqueName('org');
    const erin = uniqueName('erin');
    const frank = uniqueName('frank');
    await publish(
      event('UserRoleChanged', { userId: erin, orgId, role: ADMIN }, at(10)),
      event('UserJoinedOrganization', { userId: erin, orgId, role: USER }, at(5)),
      event('UserLeftOrganization', { userId: erin, orgId }, at(7)),
    );
    await processedUpTo(event('UserJoinedOrganization', { userId: erin, orgId: uniqueName('org-marker'), role: USER }, at(11)));
    expect(await member(orgId, erin)).toMatchObject({ role: ADMIN, membershipUpdatedAt: new Date(at(10)) });

    // After a leave (document gone), a late join from before the leave does not resurrect the member.
    await publish(
      event('UserLeftOrganization', { userId: frank, orgId }, at(20)),
      event('UserJoinedOrganization', { userId: frank, orgId, role: USER }, at(15)),
    );
    await processedUpTo(event('UserJoinedOrganization', { userId: frank, orgId: uniqueName('org-marker'), role: USER }, at(21)));
    expect(await member(orgId, frank)).toBeNull();

    // A join from before the user's deletion is ignored too.
    await publish(
      event('UserDeleted', { userId: erin }, at(30)),
      event('UserJoinedOrganization', { userId: erin, orgId: uniqueName('org-late'), role: USER }, at(25)),
    );
    await processedUpTo(event('UserRoleChanged', { userId: erin, orgId, role: OWNER }, at(29)));
    expect(await t.db.collection('org_members').countDocuments({ userId: erin })).toBe(0);
  });

  it('malformed records go to the DLQ with the reason; the consumer keeps processing the next good record', async () => {
    const orgId = uniqueName('org');
    const key = uniqueName('grace');
    const good = (data: Record<string, unknown>, time: string) => membershipRecord(event('UserJoinedOrganization', data, time));
    const notJson = { ...good({ userId: key, orgId, role: USER }, at(0)), value: Buffer.from('{not json') };
    const noHeaders = { key, value: Buffer.from('{}'), headers: {} };
    const unknownType = membershipRecord(event('UserRenamed', { userId: key, name: 'x' }, at(0)));
    const missingField = good({ userId: key, role: USER }, at(0));
    const badRole = good({ userId: key, orgId, role: 'admin' }, at(0));
    const futureVersion = membershipRecord(event('UserDeleted', { userId: key }, at(0)), { schemaversion: 3 });
    await send(notJson, noHeaders, unknownType, missingField, badRole, futureVersion);
    const next = event('UserJoinedOrganization', { userId: key, orgId, role: USER }, at(1));
    await processedUpTo(next);
    expect(await member(orgId, key)).toMatchObject({ role: USER, source: 'event' });

    const group = `${t.env.KAFKA_CLIENT_ID}.membership`;
    const mine = () => dlq.records.filter((r) => r.key === key && r.headers.dlq_consumer_group === group);
    await eventually(
      async () => mine().length,
      (n) => n >= 6,
      'dead-lettered records',
    );
    const dead = mine();
    expect(dead.map((r) => r.headers.dlq_reason)).toEqual([
      'record value is not JSON',
      'missing header ce_specversion',
      'unknown event type UserRenamed',
      'orgId must be a non-empty string',
      'role must be an integer',
      'unsupported schemaversion 3 of UserDeleted',
    ]);
    for (const record of dead) {
      expect(record.topic).toBe(DLQ);
      expect(record.headers).toMatchObject({ dlq_original_topic: Topics.membership, dlq_original_partition: expect.stringMatching(/^\d+$/) });
      expect(Number(record.headers.dlq_original_offset)).toBeGreaterThanOrEqual(0);
    }
    expect(dead[0].value).toBe('{not json');
    expect(dead[2].headers).toMatchObject({ ce_type: 'UserRenamed', ce_source: 'identity-service' });
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/mfa_membership_dlq_total \d+/);
    expect(metrics.text).toContain('mfa_membership_events_consumed_total{type="UserJoinedOrganization",outcome="applied"}');
  });
  it('a database outage is not bad input: the record is retried until it applies, never dead-lettered', async () => {
    const target = new URL(requireInfra().mongoUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 27017));
    await proxy.start();
    const flaky = await startTestApp({ env: { MONGO_URL: `mongodb://127.0.0.1:${proxy.port}/`, MONGO_TIMEOUT_MS: '1500' } });
    const orgId = uniqueName('org-dbdown');
    const [before, during] = [uniqueName('heidi'), uniqueName('ivan')];
    const stored = (userId: string) =>
      t.db
        .useDb(flaky.env.MONGO_DB_NAME as string)
        .collection('org_members')
        .findOne({ _id: `${orgId}:${userId}` as never });
    try {
      await publish(event('UserJoinedOrganization', { userId: before, orgId, role: USER }, at(0)));
      await eventually(
        () => stored(before),
        (doc) => doc !== null,
        'the first join',
      );
      await proxy.cut();
      await publish(event('UserJoinedOrganization', { userId: during, orgId, role: USER }, at(1)));
      await new Promise((resolve) => setTimeout(resolve, 4000));
      await proxy.restore();
      await eventually(
        () => stored(during),
        (doc) => doc !== null,
        'the join sent during the outage',
        90_000,
      );
      const group = `${flaky.env.KAFKA_CLIENT_ID}.membership`;
      expect(dlq.records.filter((r) => r.key === during && r.headers.dlq_consumer_group === group)).toEqual([]);
    } finally {
      await proxy.restore().catch(() => undefined);
      await flaky.close();
      await proxy.cut();
    }
  });
});
