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

async function containers() {
  const { MongoDBContainer } = require('@testcontainers/mongodb');
  const { KafkaContainer } = require('@testcontainers/kafka');
  const [mongo, kafka] = await Promise.all([
    new MongoDBContainer('mongo:8').start(),
    new KafkaContainer('apache/kafka:3.9.1').withKraft().start(),
  ]);
  return {
    mongoUrl: `${mongo.getConnectionString()}/?directConnection=true`,
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    stop: async () => Promise.all([mongo.stop(), kafka.stop()]),
  };
}

module.exports = { ROOT, dockerAnswers, localProcesses, containers, infraScript, infraDir, readEnvFile };
