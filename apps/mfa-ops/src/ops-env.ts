import { ConfigError } from '@mfa/common/config/app-config';
import { kafkaCreateTopics, KafkaSecurity, loadKafkaSecurity } from '@mfa/common/config/kafka-security';

/** The operator CLI's configuration: the same variable names as the service, fewer of them. */
export interface OpsEnv {
  mongoUrl: string;
  mongoDbName?: string;
  mongoTimeoutMs: number;
  kafkaBrokers: string[];
  kafkaClientId: string;
  kafkaConnectTimeoutMs: number;
  /** TLS and SASL: the service's KAFKA_SSL* / KAFKA_SASL_* variables. */
  kafkaSecurity: KafkaSecurity;
  createTopics: boolean;
  topicPartitions: number;
  topicReplicationFactor: number;
  eventSource: string;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string) => {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
};

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** Kafka is only needed to publish: a dry run works with the database alone. */
export function readOpsEnv(env: Env, options: { needKafka: boolean }): OpsEnv {
  const mongoUrl = value(env, 'MONGO_URL');
  if (!mongoUrl) throw new ConfigError('MONGO_URL', 'is required (e.g. mongodb://127.0.0.1:27017/mfa)');
  if (!/^mongodb(\+srv)?:\/\//.test(mongoUrl)) throw new ConfigError('MONGO_URL', 'must be a mongodb:// or mongodb+srv:// URL');
  const rawBrokers = value(env, 'KAFKA_BROKERS');
  if (options.needKafka && !rawBrokers) throw new ConfigError('KAFKA_BROKERS', 'is required to publish (e.g. 127.0.0.1:9092)');
  const kafkaBrokers = (rawBrokers ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of kafkaBrokers) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError('KAFKA_BROKERS', `must be a comma list of host:port, got "${broker}"`);
    }
  }
  return {
    mongoUrl,
    mongoDbName: value(env, 'MONGO_DB_NAME'),
    mongoTimeoutMs: integer(env, 'MONGO_TIMEOUT_MS', 5000, 100, 120_000),
    kafkaBrokers,
    kafkaClientId: value(env, 'KAFKA_CLIENT_ID') ?? 'mfa-ops',
    kafkaConnectTimeoutMs: integer(env, 'KAFKA_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
    kafkaSecurity: loadKafkaSecurity(env),
    createTopics: kafkaCreateTopics(env),
    topicPartitions: integer(env, 'KAFKA_TOPIC_PARTITIONS', 3, 1, 1000),
    topicReplicationFactor: integer(env, 'KAFKA_TOPIC_REPLICATION_FACTOR', 1, 1, 10),
    eventSource: value(env, 'EVENT_SOURCE') ?? 'mfa-service',
    logLevel: value(env, 'LOG_LEVEL') ?? 'warn',
  };
}
