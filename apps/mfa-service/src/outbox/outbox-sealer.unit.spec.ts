import { loadConfig } from '../config/load-config';
import type { StoredEvent } from '@mfa/persistence';
import { OutboxSealer } from './outbox-sealer';

const config = loadConfig({
  MONGO_URL: 'mongodb://127.0.0.1:27017/',
  KAFKA_BROKERS: '127.0.0.1:9092',
  AUTH_JWT_SECRET: 'x'.repeat(40),
  AUTH_ISSUER: 'https://id.example',
  AUTH_AUDIENCE: 'mfa-service',
  MFA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
});

const event = (type: string, data: Record<string, unknown>, id = 'e-1'): StoredEvent =>
  ({
    id,
    type,
    topic: 't',
    key: 'u1',
    aggregate: 'user',
    sequence: 1,
    time: new Date(),
    schemaVersion: 1,
    orgId: null,
    userId: 'u1',
    data,
  }) as unknown as StoredEvent;

describe('OutboxSealer', () => {
  const sealer = new OutboxSealer(config);
  const link = 'https://app.example/mfa/magic-link/activate?token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';

  it('seals a magic link at rest and opens it for publishing; other fields and events are untouched', () => {
    const original = event('MagicLinkRequested', { userId: 'u1', email: 'a@b.c', link, purpose: 'login' });
    const stored = sealer.seal(original);
    expect(JSON.stringify(stored)).not.toContain('AbCdEfGh');
    expect(stored.data).toMatchObject({ userId: 'u1', email: 'a@b.c', purpose: 'login', link: { sealed: expect.objectContaining({ keyId: 'k1' }) } });
    expect(sealer.open(stored)).toEqual(original);
    const other = event('MfaMethodEnabled', { userId: 'u1', method: 'PASSKEY' });
    expect(sealer.seal(other)).toBe(other);
  });

  it('a sealed value moved to another event does not open', () => {
    const stored = sealer.seal(event('MagicLinkRequested', { link }, 'e-1'));
    expect(() => sealer.open({ ...stored, id: 'e-2' })).toThrow(expect.objectContaining({ code: 'OUTBOX_SEAL_BROKEN' }));
  });
});
