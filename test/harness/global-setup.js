const { dockerAnswers, localProcesses, containers, warmUpKafka } = require('./infrastructure');

module.exports = async function globalSetup(_globalConfig, projectConfig) {
  if (process.env.MFA_TEST_SKIP_INFRA === '1') return;
  // The Kafka warm-up below runs kafkajs in this process: its harmless negative timer
  // (TimeoutNegativeWarning on Node 24, see routeProcessWarnings in libs/common) stays out of the
  // output; any other warning is still printed.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') process.stderr.write(`(node) ${warning.name}: ${warning.message}\n`);
  });
  const started = Date.now();
  let source;
  if (process.env.MONGO_URL && process.env.KAFKA_BROKERS) {
    source = 'environment';
    process.env.MFA_TEST_MONGO_URL = process.env.MONGO_URL;
    process.env.MFA_TEST_KAFKA_BROKERS = process.env.KAFKA_BROKERS;
  } else if (dockerAnswers()) {
    source = 'testcontainers';
    const infra = await containers();
    globalThis.__MFA_CONTAINERS__ = infra;
    process.env.MFA_TEST_MONGO_URL = infra.mongoUrl;
    process.env.MFA_TEST_KAFKA_BROKERS = infra.kafkaBrokers;
  } else {
    source = 'local processes (scripts/infra.sh)';
    const infra = localProcesses();
    process.env.MFA_TEST_MONGO_URL = infra.mongoUrl;
    process.env.MFA_TEST_KAFKA_BROKERS = infra.kafkaBrokers;
  }
  process.env.MFA_TEST_INFRA_SOURCE = source;
  // Query shapes recorded by the test apps, checked against the declared indexes at teardown.
  if (process.env.MFA_TEST_INDEX_COVERAGE !== '0') {
    process.env.MFA_TEST_COMMANDS_DIR = require('node:path').join(__dirname, '..', '..', '.infra', 'index-coverage', `${process.pid}-${Date.now()}`);
  }
  await warmUpKafka(process.env.MFA_TEST_KAFKA_BROKERS);
  process.stdout.write(
    `\ninfrastructure: ${source} — mongo ${process.env.MFA_TEST_MONGO_URL}, kafka ${process.env.MFA_TEST_KAFKA_BROKERS} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`,
  );
  void projectConfig;
};
