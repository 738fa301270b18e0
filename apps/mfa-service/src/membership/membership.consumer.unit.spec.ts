import { encodeEvent, Topics } from '@mfa/contracts';
import type { AppConfig } from '@mfa/common';
import type { IncomingRecord, KafkaClient } from '@mfa/messaging';
import type { Connection } from 'mongoose';
import pino from 'pino';
import { MetricsService } from '../metrics/metrics.service';
import { MembershipConsumer } from './membership.consumer';
import type { MembershipProjection } from './membership.projection';

const record = (type: string, data: unknown): IncomingRecord => {
  const encoded = encodeEvent({
    id: 'e-1',
    source: 'identity-service',
    type,
    specversion: '1.0',
    time: '2026-01-01T00:00:00.000Z',
    subject: 'u-1',
    datacontenttype: 'application/json',
    dataschema: `urn:identity-service:event:${type}:v1`,
    schemaversion: 1,
    sequence: 1,
    data,
  });
  return { topic: Topics.membership, partition: 0, offset: '7', key: Buffer.from(encoded.key), value: encoded.value, headers: encoded.headers };
};

function consumerWith(apply: () => Promise<unknown>) {
  const send = jest.fn(async () => undefined);
  const inbox = {
    insertOne: jest.fn(async () => undefined),
    findOneAndUpdate: jest.fn(async () => null),
    updateOne: jest.fn(async () => undefined),
    deleteOne: jest.fn(async () => undefined),
  };
  const consumer = new MembershipConsumer(
    { send } as unknown as KafkaClient,
    { apply } as unknown as MembershipProjection,
    { collection: () => inbox } as unknown as Connection,
    { kafka: { clientId: 'mfa-service' } } as AppConfig,
    pino({ level: 'silent' }),
    new MetricsService(),
  );
  return { consumer, send, inbox };
}

describe('MembershipConsumer.handle', () => {
  it('a database failure is thrown (offset not committed, record retried), never dead-lettered', async () => {
    const { consumer, send, inbox } = consumerWith(async () => {
      throw new Error('connection refused');
    });
    await expect(consumer.handle(record('UserDeleted', { userId: 'u-1' }))).rejects.toThrow('connection refused');
    expect(send).not.toHaveBeenCalled();
    expect(inbox.deleteOne).toHaveBeenCalledWith({ _id: 'e-1', status: 'processing' });
  });

  it('bad input is dead-lettered with the reason and the original coordinates, then treated as done', async () => {
    const apply = jest.fn(async () => 'applied');
    const { consumer, send } = consumerWith(apply);
    await consumer.handle(record('UserDeleted', {}));
    expect(apply).not.toHaveBeenCalled();
    expect(send).toHaveBeenCalledWith([
      expect.objectContaining({
        topic: 'identity.membership.v1.dlq',
        key: 'u-1',
        headers: expect.objectContaining({
          ce_type: 'UserDeleted',
          dlq_reason: 'userId must be a non-empty string',
          dlq_original_topic: Topics.membership,
          dlq_original_partition: '0',
          dlq_original_offset: '7',
          dlq_consumer_group: 'mfa-service.membership',
        }),
      }),
    ]);
  });

  it('a failing dead-letter send is thrown so the record is retried', async () => {
    const { consumer, send } = consumerWith(async () => 'applied');
    send.mockRejectedValueOnce(new Error('broker down'));
    await expect(consumer.handle(record('Nope', {}))).rejects.toThrow('broker down');
  });
});
