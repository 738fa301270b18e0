/**
 * Finds real infrastructure for the tests, in this order:
 *   1. MONGO_URL and KAFKA_BROKERS from the environment (attach, never stop);
 *   2. a Docker engine that answers → testcontainers (MongoDB 8 replica set, Apache Kafka 3.9);
 *   3. local processes: FerretDB + Apache Kafka started by scripts/infra.sh.
 * Plain CommonJS so Jest can load it as global setup without a transform.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function dockerAnswers() {
  if (process.env.MFA_TEST_NO_DOCKER === '1') return false;
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim().length > 0;
}

function readEnvFile(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2];
  }
  return env;
}

/** Runs scripts/infra.sh with the given args; its stdout/stderr go to ours (quiet on success). */
function infraScript(args, extraEnv = {}) {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'infra.sh'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...extraEnv },
    timeout: 15 * 60_000,
  });
}

function infraDir(extraEnv = {}) {
  return extraEnv.MFA_INFRA_DIR || process.env.MFA_INFRA_DIR || path.join(ROOT, '.infra');
}

function localProcesses(extraEnv = {}) {
  infraScript(['start'], extraEnv);
  const env = readEnvFile(path.join(infraDir(extraEnv), 'env'));
  return { mongoUrl: env.MONGO_URL, kafkaBrokers: env.KAFKA_BROKERS };
}

/**
 * Apache Kafka 3.9 in KRaft mode as a generic container (@testcontainers/kafka only accepts
 * Confluent images). Clients outside Docker reach the PLAINTEXT listener on a host port fixed
 * before the start, because the broker must advertise the address clients will use; the
 * broker-to-broker and controller listeners stay inside the container.
 */
const KAFKA_IMAGE = 'apache/kafka:3.9.1';
const MONGO_IMAGE = 'mongo:8';

function kafkaContainerSpec(hostPort) {
  return {
    image: KAFKA_IMAGE,
    ports: [{ container: 9092, host: hostPort }],
    env: {
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort},BROKER://localhost:9093`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9094',
      CLUSTER_ID: 'mfaTestClusterId00001A',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '3',
    },
    waitForLog: /Kafka Server started/,
    brokers: `127.0.0.1:${hostPort}`,
  };
}

/** The testcontainers definitions (not started): Kafka as above, MongoDB 8 as a single-node replica set. */
function containerDefinitions(kafkaHostPort) {
  const { GenericContainer, Wait } = require('testcontainers');
  const { MongoDBContainer } = require('@testcontainers/mongodb');
  const spec = kafkaContainerSpec(kafkaHostPort);
  const kafka = new GenericContainer(spec.image)
    .withExposedPorts(...spec.ports)
    .withEnvironment(spec.env)
    .withWaitStrategy(Wait.forLogMessage(spec.waitForLog))
    .withStartupTimeout(120_000);
  // MongoDBContainer starts mongod with --replSet rs0 and initiates the set before it reports ready.
  const mongo = new MongoDBContainer(MONGO_IMAGE);
  return { kafka, mongo, brokers: spec.brokers };
}

/** The replica set advertises the container's own host name: connect to the mapped port directly. */
const mongoUrlOf = (connectionString) => `${connectionString}/?directConnection=true`;

function freePort() {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function containers() {
  const definitions = containerDefinitions(await freePort());
  const [mongo, kafka] = await Promise.all([definitions.mongo.start(), definitions.kafka.start()]);
  return {
    mongoUrl: mongoUrlOf(mongo.getConnectionString()),
    kafkaBrokers: definitions.brokers,
    stop: async () => Promise.all([mongo.stop(), kafka.stop()]),
  };
}

/**
 * A fresh broker creates __consumer_offsets on the first group join and needs a moment to
 * elect leaders for new topics; doing both once here keeps that out of the first test.
 */
async function warmUpKafka(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'mfa-test-warmup', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const admin = kafka.admin();
  await admin.connect();
  const topics = ['mfa.org-policy.v1', 'mfa.user-mfa.v1', 'mfa.delivery.v1', 'identity.membership.v1', 'identity.membership.v1.dlq'];
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: 'mfa-test-warmup' });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics[0]], fromBeginning: false });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({ eachMessage: async () => undefined });
  let timer;
  await Promise.race([joined, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
  clearTimeout(timer);
  await consumer.disconnect();
}

module.exports = {
  warmUpKafka,
  ROOT,
  dockerAnswers,
  localProcesses,
  containers,
  infraScript,
  infraDir,
  readEnvFile,
  kafkaContainerSpec,
  containerDefinitions,
  mongoUrlOf,
  KAFKA_IMAGE,
  MONGO_IMAGE,
};
