/**
 * The testcontainers path (Docker engines only; none here, so it cannot run in this CI): the
 * container definitions are checked without starting them.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const infra = require('./infrastructure');

interface DefinedContainer {
  imageName: { string: string };
  exposedPorts: Array<number | { container: number; host: number }>;
  environment: Record<string, string>;
  waitStrategy: { constructor: { name: string }; message?: RegExp };
  startupTimeoutMs?: number;
}

describe('testcontainers definitions', () => {
  const hostPort = 39_001;

  it('Kafka: apache/kafka 3.9 in KRaft mode, advertised on the fixed host port clients use, inter-broker and controller inside', () => {
    const spec = infra.kafkaContainerSpec(hostPort);
    expect(spec.image).toBe('apache/kafka:3.9.1');
    expect(spec.ports).toEqual([{ container: 9092, host: hostPort }]);
    expect(spec.env).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort},BROKER://localhost:9093`,
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9094',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    });
    // Every listener named in the protocol map, and a KRaft cluster id of 22 base64url characters.
    const mapped = spec.env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((entry: string) => entry.split(':')[0]);
    expect(mapped.sort()).toEqual(['BROKER', 'CONTROLLER', 'PLAINTEXT']);
    expect(spec.env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(spec.brokers).toBe(`127.0.0.1:${hostPort}`);
    expect('Kafka Server started').toMatch(spec.waitForLog);
  });

  it('the generic Kafka container and the MongoDB 8 replica-set container carry those settings', () => {
    const { kafka, mongo, brokers } = infra.containerDefinitions(hostPort) as { kafka: DefinedContainer; mongo: DefinedContainer; brokers: string };
    expect(kafka.imageName.string).toBe('apache/kafka:3.9.1');
    expect(kafka.exposedPorts).toEqual([{ container: 9092, host: hostPort }]);
    expect(kafka.environment).toEqual(infra.kafkaContainerSpec(hostPort).env);
    expect(kafka.waitStrategy.constructor.name).toBe('LogWaitStrategy');
    expect(String(kafka.waitStrategy.message)).toBe('/Kafka Server started/');
    expect(brokers).toBe(`127.0.0.1:${hostPort}`);
    expect(mongo.imageName.string).toBe('mongo:8');
    expect(mongo.exposedPorts).toEqual([27017]);
    expect(mongo.constructor.name).toBe('MongoDBContainer'); // starts mongod --replSet rs0 and initiates it
  });

  it('the MongoDB connection string goes straight to the mapped port (the set advertises the container host name)', () => {
    expect(infra.mongoUrlOf('mongodb://localhost:32768')).toBe('mongodb://localhost:32768/?directConnection=true');
  });
});
