import { encodeEvent, PUBLISHED_TOPICS, Topics } from '@mfa/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { eventually } from '../harness/eventually';
import { IsolatedKafka } from '../harness/isolated-kafka';
import { KafkaCollector } from '../harness/kafka-collector';
import { runServiceToExit, ServiceProcess, startServiceProcess } from '../harness/service-process';
import { requireInfra, serviceEnv, uniqueName } from '../harness/test-env';
import { signToken } from '../harness/tokens';

const ROOT = path.resolve(__dirname, '../..');
const OPS_MAIN = path.join(ROOT, 'dist/apps/mfa-ops/src/main.js');
const EXAMPLE_MAIN = path.join(ROOT, 'dist/apps/example-consumer/src/main.js');

/** A CA and a broker certificate for 127.0.0.1 / localhost, made with openssl for this run only. */
function makeCertificates(dir: string): { caFile: string; brokerPem: string; otherCaFile: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=mfa-test-${ca}`);
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'broker.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  writeFileSync(path.join(dir, 'broker.pem'), read('broker.key') + read('broker.crt') + read('ca.crt'));
  return { caFile: path.join(dir, 'ca.crt'), brokerPem: path.join(dir, 'broker.pem'), otherCaFile: path.join(dir, 'other-ca.crt') };
}

/** An unsigned JWT, what Kafka's default (unsecured) OAUTHBEARER validator accepts. */
function unsecuredJwt(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + 3600 })}.`;
}

/**
 * A real Kafka broker with a SASL_SSL listener (certificates from openssl, SCRAM users made
 * with the broker's own kafka-configs, OAUTHBEARER tokens from a client-credentials endpoint in
 * the test): the service, mfa-ops and the example consumer publish and consume through it.
 */
describe('secured Kafka (SASL_SSL)', () => {
  const certDir = mkdtempSync(path.join(tmpdir(), 'mfa-kafka-tls-'));
  const certs = makeCertificates(certDir);
  const saslPort = 29097 + Number(process.env.MFA_TEST_PORT_OFFSET ?? 0);
  const kafka = new IsolatedKafka('kafka-sasl-ssl', 29095, {
    MFA_INFRA_KAFKA_SASL_SSL_PORT: String(saslPort),
    MFA_INFRA_KAFKA_SSL_PEM: certs.brokerPem,
  });
  const secured = `127.0.0.1:${saslPort}`;
  const scram256 = { user: 'mfa-service', password: `pw-${randomUUID()}` };
  const scram512 = { user: 'mfa-ops', password: `pw-${randomUUID()}` };
  let mongo: MongoClient;

  const scramEnv = (extra: Record<string, string | undefined> = {}) => ({
    KAFKA_BROKERS: secured,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: certs.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: scram256.user,
    KAFKA_SASL_PASSWORD: scram256.password,
    ...extra,
  });
  const plaintextAdmin = () => new Kafka({ clientId: uniqueName('admin'), brokers: [kafka.brokers], logLevel: logLevel.NOTHING }).admin();
  async function topics(): Promise<string[]> {
    const admin = plaintextAdmin();
    await admin.connect();
    try {
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    kafka.start({ fresh: true });
    kafka.kafkaConfigs([
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      scram256.user,
      '--add-config',
      `SCRAM-SHA-256=[iterations=4096,password=${scram256.password}]`,
    ]);
    kafka.kafkaConfigs([
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      scram512.user,
      '--add-config',
      `SCRAM-SHA-512=[iterations=4096,password=${scram512.password}]`,
    ]);
    mongo = await MongoClient.connect(requireInfra().mongoUrl);
  }, 300_000); // a broker and two JVM tool runs; minutes on a loaded machine
  afterAll(async () => {
    kafka.stop();
    await mongo.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('KAFKA_CREATE_TOPICS=false and the topics missing → exit 1 naming each missing topic, nothing created', async () => {
    const result = await runServiceToExit(serviceEnv(scramEnv({ KAFKA_CREATE_TOPICS: 'false' })));
    expect(result.code).toBe(1);
    expect(result.output).toContain('Cannot start: Kafka topics missing: ');
    for (const topic of [...PUBLISHED_TOPICS, `${Topics.membership}.dlq`]) expect(result.output).toContain(topic);
    expect(result.output).not.toContain(scram256.password);
    expect((await topics()).filter((t) => !t.startsWith('__'))).toEqual([]);
  });

  it('wrong SCRAM password → exit 1 naming Kafka authentication, without the password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const result = await runServiceToExit(serviceEnv(scramEnv({ KAFKA_SASL_PASSWORD: wrong })));
    expect(result.code).toBe(1);
    expect(result.output).toContain(`Cannot start: Kafka authentication failed at ${secured} (TLS (given CA), SASL scram-sha-256 as ${scram256.user})`);
    expect(result.output).not.toContain(wrong);
  });

  it('a broker certificate the configured CAs do not vouch for → exit 1 naming the TLS connection', async () => {
    const result = await runServiceToExit(serviceEnv(scramEnv({ KAFKA_SSL_CA_FILE: certs.otherCaFile })));
    expect(result.code).toBe(1);
    expect(result.output).toContain(`Cannot start: Kafka TLS connection failed at ${secured}`);
    expect(result.output).not.toContain(scram256.password);
  });

  describe('with valid credentials', () => {
    let service: ServiceProcess;
    let env: Record<string, string | undefined>;
    const orgId = uniqueName('org-secured');

    beforeAll(async () => {
      env = serviceEnv(scramEnv({ LOG_LEVEL: 'debug' }));
      service = await startServiceProcess(env, 120_000);
    }, 150_000);
    afterAll(async () => {
      service?.kill('SIGTERM');
      await service?.exited;
    });

    it('the service creates only the topics it owns, publishes through SASL_SSL and consumes through it', async () => {
      const existing = await topics();
      for (const topic of [...PUBLISHED_TOPICS, `${Topics.membership}.dlq`]) expect(existing).toContain(topic);
      expect(existing).not.toContain(Topics.membership); // the identity service's topic
      expect(service.output()).toContain('topics owned by other services are missing');

      // Publishing: an enforcement reaches the broker.
      const collector = await KafkaCollector.start(kafka.brokers, [Topics.orgPolicy]);
      try {
        const token = await signToken({ sub: `owner-${orgId}`, orgId, orgRole: 255 });
        const res = await fetch(`${service.url}/mfa/organization/enforce`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ enforced: true }),
        });
        expect(res.status).toBe(200);
        const types = await eventually(
          async () => collector.events((e) => e.subject === orgId).map((e) => e.type),
          (t) => t.length > 0,
          'the enforcement event',
          90_000,
        );
        expect(types).toEqual(['OrgMfaEnforced']);
      } finally {
        await collector.stop();
      }

      // Consuming: once the identity service's topic exists, its membership events reach the read model.
      const admin = plaintextAdmin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: Topics.membership, numPartitions: 3 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = new Kafka({ clientId: uniqueName('identity'), brokers: [kafka.brokers], logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      const userId = uniqueName('member');
      await producer.send({
        topic: Topics.membership,
        acks: -1,
        messages: [
          encodeEvent({
            id: randomUUID(),
            source: 'identity-service',
            type: 'UserJoinedOrganization',
            specversion: '1.0',
            time: new Date().toISOString(),
            subject: userId,
            datacontenttype: 'application/json',
            dataschema: 'urn:identity-service:event:UserJoinedOrganization:v1',
            schemaversion: 1,
            sequence: 1,
            userid: userId,
            data: { userId, orgId, role: 1 },
          }),
        ],
      });
      await producer.disconnect();
      const members = mongo.db(env.MONGO_DB_NAME).collection('org_members');
      const member = await eventually(
        () => members.findOne({ _id: `${orgId}:${userId}` as never }),
        (doc) => doc !== null,
        'the member from the membership event',
        90_000,
      );
      expect(member).toMatchObject({ orgId, userId });
      expect(service.output()).not.toContain(scram256.password);
    }, 240_000);

    it('mfa-ops replays through SASL_SSL with SCRAM-SHA-512', async () => {
      const target = uniqueName('audit.replay');
      const collector = await KafkaCollector.start(kafka.brokers, [target]);
      try {
        const run = spawn(process.execPath, [OPS_MAIN, 'replay', '--org', orgId, '--to-topic', target], {
          env: {
            PATH: process.env.PATH,
            MONGO_URL: env.MONGO_URL,
            MONGO_DB_NAME: env.MONGO_DB_NAME,
            ...scramEnv({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: scram512.user, KAFKA_SASL_PASSWORD: scram512.password }),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        run.stdout.on('data', (chunk) => (output += chunk));
        run.stderr.on('data', (chunk) => (output += chunk));
        const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
        expect({ code, output }).toMatchObject({ code: 0 });
        const types = await eventually(
          async () => collector.events((e) => e.subject === orgId).map((e) => e.type),
          (t) => t.length > 0,
          'the replayed event',
          90_000,
        );
        expect(types).toEqual(['OrgMfaEnforced']);
        expect(output).not.toContain(scram512.password);
      } finally {
        await collector.stop();
      }
    }, 150_000);

    it('the example consumer joins its group through SASL_SSL with OAUTHBEARER (client-credentials token)', async () => {
      const clientSecret = `secret-${randomUUID()}`;
      const requests: Array<{ authorization?: string; body: string }> = [];
      const tokenServer: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          requests.push({ authorization: req.headers.authorization, body });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ access_token: unsecuredJwt('example-consumer'), token_type: 'Bearer', expires_in: 3600 }));
        });
      });
      await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
      const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
      const consumer = spawn(process.execPath, [EXAMPLE_MAIN], {
        env: {
          PATH: process.env.PATH,
          MONGO_URL: requireInfra().mongoUrl,
          MONGO_DB_NAME: uniqueName('example_secured'),
          GROUP_ID: uniqueName('example-secured'),
          OUTBOX_DIR: path.join(certDir, 'outbox'),
          KAFKA_BROKERS: secured,
          KAFKA_SSL: 'true',
          KAFKA_SSL_CA_FILE: certs.caFile,
          KAFKA_SASL_MECHANISM: 'oauthbearer',
          KAFKA_SASL_OAUTH_TOKEN_URL: tokenUrl,
          KAFKA_SASL_OAUTH_CLIENT_ID: 'example-consumer',
          KAFKA_SASL_OAUTH_CLIENT_SECRET: clientSecret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      consumer.stdout.on('data', (chunk) => (output += chunk));
      consumer.stderr.on('data', (chunk) => (output += chunk));
      try {
        await eventually(
          async () => output,
          (o) => o.includes('example consumer running') || consumer.exitCode !== null,
          'the example consumer to join',
          90_000,
        );
        expect(output).toContain('example consumer running');
        expect(requests.length).toBeGreaterThan(0);
        expect(requests[0].authorization).toBe(`Basic ${Buffer.from(`example-consumer:${clientSecret}`).toString('base64')}`);
        expect(requests[0].body).toBe('grant_type=client_credentials');
        expect(output).not.toContain(clientSecret);
        for (const line of output.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      } finally {
        consumer.kill('SIGTERM');
        await new Promise((resolve) => consumer.once('exit', resolve));
        tokenServer.close();
      }
    }, 150_000);
  });
});
