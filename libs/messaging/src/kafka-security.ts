import type { KafkaSasl, KafkaSecurity } from '@mfa/common/config/kafka-security';
import type { KafkaConfig, OauthbearerProviderResponse, SASLOptions } from 'kafkajs';

/** Refresh an OAuth token this long before it expires. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

/**
 * OAUTHBEARER via the OAuth 2.0 client-credentials grant (Confluent Cloud, Aiven, Strimzi with
 * an OIDC provider). kafkajs asks on every (re-)authentication; the token is reused until near expiry.
 */
export function clientCredentialsProvider(
  sasl: Extract<KafkaSasl, { mechanism: 'oauthbearer' }>,
  fetchImpl: typeof fetch = fetch,
): () => Promise<OauthbearerProviderResponse> {
  let cached: { value: string; refreshAt: number } | null = null;
  return async () => {
    if (cached && Date.now() < cached.refreshAt) return { value: cached.value };
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (sasl.scope) body.set('scope', sasl.scope);
    const response = await fetchImpl(sasl.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(sasl.clientId)}:${encodeURIComponent(sasl.clientSecret)}`).toString('base64')}`,
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`Kafka OAuth token endpoint answered HTTP ${response.status}`);
    const token = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof token.access_token !== 'string' || token.access_token === '') throw new Error('Kafka OAuth token endpoint returned no access_token');
    const lifetimeMs = typeof token.expires_in === 'number' && token.expires_in > 0 ? token.expires_in * 1000 : 5 * 60_000;
    cached = { value: token.access_token, refreshAt: Date.now() + Math.max(lifetimeMs - TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return { value: cached.value };
  };
}

/** The kafkajs `ssl` / `sasl` client options for a validated security configuration. */
export function kafkaJsSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!security) return {};
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (security.tls) {
    const { ca, cert, key, keyPassword } = security.tls;
    // rejectUnauthorized stays true: a broker certificate is always verified (given CA or system CAs).
    options.ssl = { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...(cert ? { cert, key, passphrase: keyPassword } : {}) };
  }
  const sasl = security.sasl;
  if (sasl) {
    options.sasl =
      sasl.mechanism === 'oauthbearer'
        ? { mechanism: 'oauthbearer', oauthBearerProvider: clientCredentialsProvider(sasl) }
        : ({ mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions);
  }
  return options;
}
