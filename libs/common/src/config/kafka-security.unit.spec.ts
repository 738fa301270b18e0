import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { describeKafkaSecurity, kafkaCreateTopics, loadKafkaSecurity } from './kafka-security';

describe('Kafka security configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const key = file('key.pem', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  const junk = file('junk.txt', 'not a pem');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fails = (env: Record<string, string>, message: RegExp) => {
    expect(() => loadKafkaSecurity(env)).toThrow(ConfigError);
    expect(() => loadKafkaSecurity(env)).toThrow(message);
  };

  it('defaults to plaintext without SASL, topics created', () => {
    expect(loadKafkaSecurity({})).toEqual({ tls: null, sasl: null });
    expect(kafkaCreateTopics({})).toBe(true);
    expect(kafkaCreateTopics({ KAFKA_CREATE_TOPICS: 'false' })).toBe(false);
    expect(() => kafkaCreateTopics({ KAFKA_CREATE_TOPICS: 'no' })).toThrow(/KAFKA_CREATE_TOPICS must be true or false/);
  });

  it('TLS with the system CAs, a given CA, or a client certificate and key', () => {
    expect(loadKafkaSecurity({ KAFKA_SSL: 'true' }).tls).toEqual({ ca: undefined, cert: undefined, key: undefined, keyPassword: undefined });
    expect(loadKafkaSecurity({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca }).tls?.ca).toContain('BEGIN CERTIFICATE');
    const mtls = loadKafkaSecurity({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: ca, KAFKA_SSL_KEY_FILE: key, KAFKA_SSL_KEY_PASSWORD: 'kp' }).tls;
    expect(mtls).toMatchObject({ cert: expect.stringContaining('CERTIFICATE'), key: expect.stringContaining('PRIVATE KEY'), keyPassword: 'kp' });
  });

  it('refuses unreadable, non-PEM, half or stray TLS settings, naming the variable', () => {
    fails({ KAFKA_SSL: 'yes' }, /KAFKA_SSL must be true or false/);
    fails({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, /KAFKA_SSL_CA_FILE cannot be read \(ENOENT/);
    fails({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: junk }, /KAFKA_SSL_CA_FILE must be a PEM file holding CA certificates/);
    fails({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: ca }, /KAFKA_SSL_KEY_FILE is required with the other/);
    fails({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: key }, /KAFKA_SSL_CERT_FILE is required with the other/);
    fails({ KAFKA_SSL_CA_FILE: ca }, /KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true/);
  });

  it('SCRAM and PLAIN need a username and password; PLAIN only inside TLS', () => {
    expect(loadKafkaSecurity({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
    expect(loadKafkaSecurity({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).sasl?.mechanism).toBe(
      'plain',
    );
    fails({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /plain sends the password in clear text: set KAFKA_SSL=true/);
    fails({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=scram-sha-256/);
    fails({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD is required/);
    fails({ KAFKA_SASL_MECHANISM: 'gssapi' }, /KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, oauthbearer, got "gssapi"/);
    fails({ KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not/);
  });

  it('OAUTHBEARER needs a client-credentials endpoint over https (http on loopback only)', () => {
    const oauth = { KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTH_CLIENT_ID: 'c', KAFKA_SASL_OAUTH_CLIENT_SECRET: 's' };
    expect(loadKafkaSecurity({ ...oauth, KAFKA_SASL_OAUTH_TOKEN_URL: 'https://idp.example/token', KAFKA_SASL_OAUTH_SCOPE: 'kafka' }).sasl).toEqual({
      mechanism: 'oauthbearer',
      tokenUrl: 'https://idp.example/token',
      clientId: 'c',
      clientSecret: 's',
      scope: 'kafka',
    });
    expect(loadKafkaSecurity({ ...oauth, KAFKA_SASL_OAUTH_TOKEN_URL: 'http://127.0.0.1:8080/token' }).sasl?.mechanism).toBe('oauthbearer');
    fails({ ...oauth, KAFKA_SASL_OAUTH_TOKEN_URL: 'http://idp.example/token' }, /KAFKA_SASL_OAUTH_TOKEN_URL must use https/);
    fails({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTH_TOKEN_URL: 'https://idp.example/token' }, /KAFKA_SASL_OAUTH_CLIENT_ID is required/);
  });

  it('is described for logs without any secret', () => {
    const security = loadKafkaSecurity({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'hunter2',
    });
    expect(describeKafkaSecurity(security)).toBe('TLS (system CAs), SASL scram-sha-256 as svc');
    expect(describeKafkaSecurity(security)).not.toContain('hunter2');
  });
});
