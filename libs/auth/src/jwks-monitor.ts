import type { Logger } from 'pino';

const CHECK_TIMEOUT_MS = 3_000;
const PERIOD_MS = 60_000;
/** While the endpoint is down, readiness probes re-check it at most this often. */
const RECHECK_WHEN_DOWN_MS = 5_000;

/**
 * Watches the identity service's JWKS endpoint (AUTH_JWKS_URL): checked at start-up, every minute,
 * and on readiness probes while it is down. A change of state is logged; readiness shows it and
 * turns red only while no key set was ever fetched (jose keeps serving the keys it has, so a
 * later outage does not stop requests).
 */
export class JwksMonitor {
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private everUp = false;
  private lastCheck = 0;
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;

  constructor(
    private readonly url: string | null,
    private readonly logger: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  start(): void {
    if (!this.url) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), PERIOD_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** For readiness: null when tokens are not verified against a JWKS endpoint. */
  async readiness(): Promise<{ check: 'up' | 'down'; blocksReadiness: boolean } | null> {
    if (!this.url) return null;
    if (this.state !== 'up' && Date.now() - this.lastCheck >= RECHECK_WHEN_DOWN_MS) await this.check();
    else if (this.state === 'unknown') await this.inFlight;
    return { check: this.state === 'up' ? 'up' : 'down', blocksReadiness: !this.everUp };
  }

  check(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastCheck = Date.now();
    let problem: string | null = null;
    try {
      const response = await this.fetchImpl(this.url!, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
      if (!response.ok) problem = `HTTP ${response.status}`;
      else {
        const body = (await response.json()) as { keys?: unknown };
        if (!Array.isArray(body?.keys) || body.keys.length === 0) problem = 'no keys in the answer';
      }
    } catch (error) {
      problem = error instanceof Error ? `${error.name}: ${(error as { cause?: { code?: string } }).cause?.code ?? error.message}` : String(error);
    }
    const previous = this.state;
    if (problem === null) {
      this.state = 'up';
      this.everUp = true;
      if (previous === 'down') this.logger.info({ component: 'auth', jwksUrl: this.url }, 'JWKS endpoint reachable again');
    } else {
      this.state = 'down';
      if (previous !== 'down') {
        this.logger.warn(
          { component: 'auth', jwksUrl: this.url, problem, keysEverFetched: this.everUp },
          'JWKS endpoint unreachable: tokens signed with keys not yet fetched are refused',
        );
      }
    }
  }
}
