import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { recordRefusal } from './kafka-client';

/** kafkajs builds protocol errors from the broker's error code entry (src/protocol/error.js). */
const protocolError = (type: string, code: number, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code, retriable, message: `${type} from the broker` } as unknown as Error);

describe('which Kafka failures are refusals of the records themselves (counted towards OUTBOX_MAX_ATTEMPTS)', () => {
  it.each([
    ['MESSAGE_TOO_LARGE', 10],
    ['RECORD_LIST_TOO_LARGE', 18],
    ['INVALID_TIMESTAMP', 32],
    ['INVALID_RECORD', 87],
  ])('%s, as thrown or wrapped by kafkajs retries', (type, code) => {
    const refusal = protocolError(type, code, false);
    expect(recordRefusal(refusal)).toEqual({ type, message: `${type} from the broker` });
    // As kafkajs's retrier wraps a failure it does not retry (src/retry/index.js).
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, metadata: { cause: Error }) => Error;
    expect(recordRefusal(new NonRetriable(refusal, { cause: refusal }))).toMatchObject({ type });
    expect(recordRefusal(new KafkaJSNumberOfRetriesExceeded(refusal, { retryCount: 2, retryTime: 100 }))).toMatchObject({ type });
  });

  it('never a broker that is away, slow or moving leaders: those pass once it is back', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(recordRefusal(connection)).toBeNull();
    expect(recordRefusal(new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 2, retryTime: 1000 }))).toBeNull();
    expect(recordRefusal(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'))).toBeNull();
    expect(recordRefusal(protocolError('NOT_LEADER_FOR_PARTITION', 6, true))).toBeNull();
    expect(recordRefusal(protocolError('LEADER_NOT_AVAILABLE', 5, true))).toBeNull();
    expect(recordRefusal(protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false))).toBeNull();
    expect(recordRefusal(protocolError('CORRUPT_MESSAGE', 2, true))).toBeNull(); // also what a broken connection looks like
    expect(recordRefusal(new Error('The producer is disconnected'))).toBeNull();
    expect(recordRefusal(undefined)).toBeNull();
  });
});
