import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Db, MongoClient } from 'mongodb';
import { FORCED_RELOGINS_COLLECTION, RunningConsumer, startExampleConsumer } from '../../apps/example-consumer/src/example-consumer';
import { eventRecord as record, inboxDone, TestProducer, warmUpExampleConsumer } from '../harness/example-consumer';
import { requireInfra, uniqueName } from '../harness/test-env';
import { eventually } from '../harness/eventually';

const EXAMPLE_MAIN = path.resolve(__dirname, '../../dist/apps/example-consumer/src/main.js');

describe('example downstream consumer (libs/contracts only) against the real broker', () => {
  let producer: TestProducer;
  let mongo: MongoClient;

  beforeAll(async () => {
    producer = await TestProducer.start();
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
  });
  afterAll(async () => {
    await producer.stop();
    await mongo.close();
  });

  const send = (...records: Array<ReturnType<typeof record>>) => producer.send(...records);
  const warmUp = (db: Db) => warmUpExampleConsumer(db, producer);

  /** Each event published twice with the same id, as after a producer crash or a replay. */
  function scenario(userId: string) {
    const deadline = record('UserMfaEnforcementDeadlinePassed', { userId, orgId: 'org-x' });
    const reset = record('MfaReset', { userId, orgId: 'org-x', resetBy: 'admin-1', selfService: false });
    const link = `https://app.example/mfa/magic?token=${randomUUID()}`;
    const magic = record('MagicLinkRequested', {
      userId,
      email: `${userId}@example.test`,
      purpose: 'login',
      link,
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
    });
    const ignored = record('MfaMethodSetupStarted', { userId, orgId: null, method: 'PASSKEY' });
    return { deadline, reset, magic, ignored, link, all: [deadline, reset, magic, ignored, deadline, reset, magic] };
  }

  async function assertReactedOnce(db: Db, outboxDir: string, s: ReturnType<typeof scenario>, userId: string) {
    const relogins = await db.collection(FORCED_RELOGINS_COLLECTION).find({ userId }).sort({ reason: 1 }).toArray();
    expect(relogins.map((r) => [r.reason, r.eventId])).toEqual([
      ['mfa_enforcement_deadline_passed', s.deadline.id],
      ['mfa_reset', s.reset.id],
    ]);
    expect(relogins[0]).toMatchObject({ userId, at: expect.any(Date) });
    // Only this user's mail: the consumer reads the shared delivery topic, where other suites
    // running at the same time publish real magic links.
    const files: string[] = [];
    for (const file of await readdir(outboxDir)) {
      if (JSON.parse(await readFile(path.join(outboxDir, file), 'utf8')).to === `${userId}@example.test`) files.push(file);
    }
    expect(files).toEqual([`${s.magic.id}.json`]);
    const email = JSON.parse(await readFile(path.join(outboxDir, files[0]), 'utf8'));
    expect(email).toMatchObject({ to: `${userId}@example.test`, subject: expect.any(String), eventId: s.magic.id });
    expect(email.body).toContain(s.link);
  }

  it('in process: one forced re-login per deadline/reset and one email per magic link, despite redelivery', async () => {
    const db = mongo.db(uniqueName('example_consumer'));
    const outboxDir = await mkdtemp(path.join(tmpdir(), 'example-outbox-'));
    const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const options = {
      brokers: requireInfra().kafkaBrokers.split(','),
      mongoUrl: requireInfra().mongoUrl,
      mongoDbName: db.databaseName,
      groupId: uniqueName('example-consumer'),
      outboxDir,
      log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => logs.push({ level, message, fields }),
    };
    let consumer: RunningConsumer | undefined = await startExampleConsumer(options);
    try {
      await warmUp(db);
      const userId = uniqueName('user');
      const s = scenario(userId);
      await send(...s.all);
      await eventually(
        () => inboxDone(db, [s.deadline.id, s.reset.id, s.magic.id, s.ignored.id]),
        (n) => n === 4,
        'all events handled',
      );
      await eventually(
        async () => logs.filter((l) => l.message === 'duplicate event skipped').length,
        (n) => n >= 3,
        'the redeliveries',
      );
      await assertReactedOnce(db, outboxDir, s, userId);
      expect(JSON.stringify(logs)).not.toContain(s.link);

      // A restart of the same group does not react again; a second redelivery afterwards neither.
      await consumer.stop();
      consumer = await startExampleConsumer(options);
      await send(s.magic, s.reset);
      await eventually(
        async () => logs.filter((l) => l.message === 'duplicate event skipped').length,
        (n) => n >= 5,
        'the redeliveries after restart',
      );
      await assertReactedOnce(db, outboxDir, s, userId);
    } finally {
      await consumer?.stop();
      await db.dropDatabase().catch(() => undefined);
      await rm(outboxDir, { recursive: true, force: true });
    }
  });

  it('tells the user once when an authenticator is removed or a device is remembered (the mail it would send), despite redelivery', async () => {
    const db = mongo.db(uniqueName('example_consumer'));
    const outboxDir = await mkdtemp(path.join(tmpdir(), 'example-outbox-'));
    const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const consumer: RunningConsumer = await startExampleConsumer({
      brokers: requireInfra().kafkaBrokers.split(','),
      mongoUrl: requireInfra().mongoUrl,
      mongoDbName: db.databaseName,
      groupId: uniqueName('example-consumer'),
      outboxDir,
      log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => logs.push({ level, message, fields }),
    });
    try {
      await warmUp(db);
      const userId = uniqueName('user');
      const removed = record('MfaAuthenticatorRemoved', {
        userId,
        orgId: 'org-x',
        orgIds: ['org-x'],
        authenticatorId: 'pk-abc',
        type: 'PASSKEY',
        removedBy: 'admin-1',
      });
      const trusted = record('TrustedDeviceRegistered', { userId, orgId: 'org-x', deviceId: 'td-1', expiresAt: '2027-01-01T00:00:00.000Z' });
      const renamed = record('MfaAuthenticatorRenamed', { userId, orgId: 'org-x', authenticatorId: 'pk-abc', type: 'PASSKEY', name: 'Phone' });
      await send(removed, trusted, renamed, removed, trusted);
      await eventually(
        () => inboxDone(db, [removed.id, trusted.id, renamed.id]),
        (n) => n === 3,
        'all events handled',
      );
      await eventually(
        async () => logs.filter((l) => l.message === 'duplicate event skipped').length,
        (n) => n >= 2,
        'the redeliveries',
      );
      const mails: Array<Record<string, string>> = [];
      for (const file of await readdir(outboxDir)) {
        const mail = JSON.parse(await readFile(path.join(outboxDir, file), 'utf8'));
        if (mail.toUserId === userId) mails.push({ file, ...mail });
      }
      expect(mails.map((m) => m.file).sort()).toEqual([`${removed.id}.json`, `${trusted.id}.json`].sort());
      const byEvent = new Map(mails.map((m) => [m.eventId, m]));
      expect(byEvent.get(removed.id)).toMatchObject({ subject: 'A sign-in method was removed from your account' });
      expect(byEvent.get(removed.id)!.body).toContain('by an administrator');
      expect(byEvent.get(trusted.id)).toMatchObject({ subject: 'A device was remembered for sign-in' });
      expect(byEvent.get(trusted.id)!.body).toContain('2027-01-01T00:00:00.000Z');
      // Renaming is not worth an email (handled above, nothing written for it).
    } finally {
      await consumer.stop();
      await db.dropDatabase().catch(() => undefined);
      await rm(outboxDir, { recursive: true, force: true });
    }
  });

  describe('the built main (npm run example-consumer)', () => {
    let child: ChildProcess | undefined;
    afterEach(() => child?.kill('SIGKILL'));

    it('reacts once per event, logs JSON lines without the link, and exits 0 on SIGTERM', async () => {
      if (!existsSync(EXAMPLE_MAIN)) throw new Error(`${EXAMPLE_MAIN} is missing: run \`npm run build\` first (bin/test does)`);
      const db = mongo.db(uniqueName('example_consumer_main'));
      const outboxDir = await mkdtemp(path.join(tmpdir(), 'example-outbox-'));
      let stdout = '';
      child = spawn(process.execPath, [EXAMPLE_MAIN], {
        env: {
          PATH: process.env.PATH,
          KAFKA_BROKERS: requireInfra().kafkaBrokers,
          MONGO_URL: requireInfra().mongoUrl,
          MONGO_DB_NAME: db.databaseName,
          GROUP_ID: uniqueName('example-consumer-main'),
          OUTBOX_DIR: outboxDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      try {
        await eventually(
          async () => stdout,
          (out) => out.includes('example consumer running'),
          'the consumer to start',
        );
        await warmUp(db);
        const userId = uniqueName('user');
        const s = scenario(userId);
        await send(...s.all);
        await eventually(
          () => inboxDone(db, [s.deadline.id, s.reset.id, s.magic.id, s.ignored.id]),
          (n) => n === 4,
          'all events handled',
        );
        await eventually(
          async () => (stdout.match(/duplicate event skipped/g) ?? []).length,
          (n) => n >= 3,
          'the redeliveries',
        );
        await assertReactedOnce(db, outboxDir, s, userId);
        const lines = stdout.trim().split('\n');
        for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
        expect(stdout).not.toContain(s.link);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        await db.dropDatabase().catch(() => undefined);
        await rm(outboxDir, { recursive: true, force: true });
      }
    });
  });
});
