import { ErrorDetail, MfaApiError } from './errors';
import { ErrorCodeOf, OperationName, OPERATIONS } from './operations';
import type * as T from './types';

export interface MfaClientOptions {
  /** e.g. https://mfa.example.com (no trailing path). */
  baseUrl: string;
  /** The caller's bearer token (the identity service's JWT), asked for before every request. */
  token?: () => string | undefined | Promise<string | undefined>;
  /** A new request id per call (sent as X-Request-Id; the service echoes it). Default: a random UUID. */
  requestId?: () => string;
  /**
   * Retries: idempotent calls (GET, PUT, PATCH, DELETE) after a network failure or 502/503/504, and any
   * call answered 429 / 423 (refused before anything was done) when its Retry-After is at most
   * `maxDelayMs`. Default: 2 retries, 5 s.
   */
  retry?: { retries?: number; maxDelayMs?: number };
  fetch?: typeof fetch;
  /** Waits between retries (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

type Envelope<D> = { success: true; data: D };
type Message = { success: true; message: string };

// PATCH is only the rename (setting the same name again changes nothing). A DELETE retried after its
// first attempt went through answers 404 *_NOT_FOUND: the authenticator or device is gone either way.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
const TRANSIENT = new Set([502, 503, 504]);

/** Typed client of mfa-service: one method per endpoint. Failures throw MfaApiError with the operation's codes. */
export class MfaClient {
  private readonly baseUrl: string;
  private readonly retries: number;
  private readonly maxDelayMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: MfaClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retries = options.retry?.retries ?? 2;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  // ---- status and methods
  async getStatus(): Promise<T.MfaStatus> {
    return this.data<T.MfaStatus>('getStatus');
  }
  async getMethods(): Promise<T.MfaMethodInfo[]> {
    return this.data<T.MfaMethodInfo[]>('getMethods');
  }

  // ---- setup and configuration
  async setup<M extends T.MfaMethod>(request: T.SetupRequest & { mfaType: M }): Promise<T.SetupResults[M]> {
    return this.data<T.SetupResults[M]>('setup', { body: request });
  }
  async verifySetup(request: T.VerifySetupRequest): Promise<string> {
    return this.message('verifySetup', { body: request });
  }
  async enable(mfaType: T.MfaMethod): Promise<string> {
    return this.message('enable', { body: { mfaType } });
  }
  async disable(mfaType: T.MfaMethod): Promise<string> {
    return this.message('disable', { body: { mfaType } });
  }
  async setPrimary(mfaType: T.MfaMethod): Promise<string> {
    return this.message('setPrimary', { body: { mfaType } });
  }
  /** Without `resetUserId`: the caller's own factors. */
  async reset(resetUserId?: string): Promise<string> {
    return this.message('reset', { body: resetUserId === undefined ? {} : { resetUserId } });
  }
  async regenerateBackupCodes(): Promise<string[]> {
    return (await this.data<{ backupCodes: string[] }>('regenerateBackupCodes')).backupCodes;
  }

  // ---- magic link
  async sendMagicLink(): Promise<string> {
    return this.message('sendMagicLink');
  }
  /** Public (no bearer token): completes MAGIC_LINK setup with the token of a setup link. */
  async activateMagicLink(token: string): Promise<string> {
    return this.message('activateMagicLink', { body: { token }, anonymous: true });
  }
  /** The HTML page a clicked link opens; fetching it never consumes the token. */
  async magicLinkPage(token: string): Promise<string> {
    return (await this.call('magicLinkPage', { query: { token }, anonymous: true })).text();
  }

  // ---- passkeys
  async passkeyAuthOptions(): Promise<T.PasskeyAuthOptions> {
    return this.data<T.PasskeyAuthOptions>('passkeyAuthOptions');
  }
  async completePasskeyRegistration(request: T.CompletePasskeyRegistrationRequest): Promise<string> {
    return this.message('completePasskeyRegistration', { body: request });
  }
  /** The `-1` alias kept for old clients; prefer completePasskeyRegistration. */
  async completePasskeyRegistrationLegacy(request: T.CompletePasskeyRegistrationRequest): Promise<string> {
    return this.message('completePasskeyRegistrationLegacy', { body: request });
  }

  // ---- authenticators and trusted devices
  /** Every factor with a stable id (`pk-…` per passkey, `totp`, `email`, `backup-codes`); never a secret. */
  async listAuthenticators(): Promise<T.Authenticator[]> {
    return this.data<T.Authenticator[]>('listAuthenticators');
  }
  /** 1–64 printable characters (trimmed); backup codes have no name (400). Retried (the same name again is a no-op). */
  async renameAuthenticator(id: string, name: string): Promise<string> {
    return this.message('renameAuthenticator', { params: { id }, body: { name } });
  }
  /** Needs step-up once the user has MFA; the last enabled method under enforcement stays (403 MFA_ENFORCED_BY_ORG). */
  async removeAuthenticator(id: string): Promise<string> {
    return this.message('removeAuthenticator', { params: { id } });
  }
  /** Remembered devices still accepted (expiry under today's policy); never a token. */
  async listTrustedDevices(): Promise<T.TrustedDevice[]> {
    return this.data<T.TrustedDevice[]>('listTrustedDevices');
  }
  /** Its deviceToken stops working at once (no step-up: revoking only raises security). */
  async revokeTrustedDevice(id: string): Promise<string> {
    return this.message('revokeTrustedDevice', { params: { id } });
  }

  // ---- login-time verification
  async verifyLogin(request: T.VerifyLoginRequest): Promise<T.VerifyLoginResult> {
    return this.data<T.VerifyLoginResult>('verifyLogin', { body: request });
  }
  async getJwks(): Promise<T.Jwks> {
    return (await this.call('getJwks', { anonymous: true })).json() as Promise<T.Jwks>;
  }

  // ---- organization policy (ADMINISTRATOR / OWNER)
  async enforceOrgMfa(request: T.EnforceOrgMfaRequest): Promise<string> {
    return this.message('enforceOrgMfa', { body: request });
  }
  async getOrgPolicy(): Promise<T.OrgPolicy> {
    return this.data<T.OrgPolicy>('getOrgPolicy');
  }
  async listOrgMembers(query: T.ListMembersQuery = {}): Promise<T.MemberPage> {
    return this.data<T.MemberPage>('listOrgMembers', { query: query as Record<string, string | number | undefined> });
  }
  async grantExemption(userId: string, request: T.GrantExemptionRequest): Promise<string> {
    return this.message('grantExemption', { params: { userId }, body: request });
  }
  async revokeExemption(userId: string): Promise<string> {
    return this.message('revokeExemption', { params: { userId } });
  }
  /** A member's authenticators (admin authority rules; reading needs no step-up). */
  async listMemberAuthenticators(userId: string): Promise<T.Authenticator[]> {
    return this.data<T.Authenticator[]>('listMemberAuthenticators', { params: { userId } });
  }
  /** Removes a member's lost authenticator, leaving the rest (admin authority rules, the admin's own MFA and step-up). */
  async removeMemberAuthenticator(userId: string, id: string): Promise<string> {
    return this.message('removeMemberAuthenticator', { params: { userId, id } });
  }
  /** Forgets every remembered device of a member (none: still 200). */
  async revokeMemberTrustedDevices(userId: string): Promise<string> {
    return this.message('revokeMemberTrustedDevices', { params: { userId } });
  }

  // ---- operations
  async live(): Promise<{ status: 'ok' }> {
    return (await this.call('live', { anonymous: true })).json() as Promise<{ status: 'ok' }>;
  }
  /** Readiness; a 503 (not ready) is returned, not thrown. */
  async ready(): Promise<T.Readiness> {
    return (await this.call('ready', { anonymous: true, accept: [200, 503] })).json() as Promise<T.Readiness>;
  }

  // ---- plumbing

  private async data<D>(operation: OperationName, request: CallOptions = {}): Promise<D> {
    return ((await (await this.call(operation, request)).json()) as Envelope<D>).data;
  }

  private async message(operation: OperationName, request: CallOptions = {}): Promise<string> {
    return ((await (await this.call(operation, request)).json()) as Message).message;
  }

  /** One operation, with the retries its method allows; resolves with the successful response. */
  private async call<O extends OperationName>(operation: O, request: CallOptions): Promise<Response> {
    const { method, path } = OPERATIONS[operation];
    const url = this.url(path, request);
    for (let attempt = 0; ; attempt++) {
      const requestId = this.options.requestId?.() ?? crypto.randomUUID();
      const headers: Record<string, string> = { Accept: 'application/json, text/html;q=0.5', 'X-Request-Id': requestId };
      const token = request.anonymous ? undefined : await this.options.token?.();
      if (token) headers.Authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (request.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(request.body);
      }
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers, body });
      } catch (cause) {
        if (IDEMPOTENT.has(method) && attempt < this.retries) {
          await this.sleep(backoff(attempt));
          continue;
        }
        throw Object.assign(new MfaApiError<ErrorCodeOf<O>>(0, 'NETWORK_ERROR', `${method} ${path}: no answer`, requestId), { cause });
      }
      if (response.ok || request.accept?.includes(response.status)) return response;
      const error = await toError<ErrorCodeOf<O>>(response, requestId);
      const wait = retryDelay(method, response.status, error.retryAfter, attempt, this.retries, this.maxDelayMs);
      if (wait === undefined) throw error;
      await this.sleep(wait);
    }
  }

  private url(path: string, request: CallOptions): string {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params?.[name] ?? ''));
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) query.set(name, String(value));
    const search = query.toString();
    return `${this.baseUrl}${filled}${search ? `?${search}` : ''}`;
  }
}

interface CallOptions {
  body?: unknown;
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  /** A public route: no bearer token is sent. */
  anonymous?: boolean;
  /** Non-2xx statuses that are answers, not failures. */
  accept?: number[];
}

const backoff = (attempt: number): number => Math.min(2_000, 100 * 2 ** attempt);

/** How long to wait before retrying, or undefined when the failure is final. */
function retryDelay(
  method: string,
  status: number,
  retryAfter: number | null | undefined,
  attempt: number,
  retries: number,
  maxDelayMs: number,
): number | undefined {
  if (attempt >= retries) return undefined;
  if (status === 429 || status === 423) {
    if (retryAfter === undefined || retryAfter === null) return undefined;
    const ms = retryAfter * 1000;
    return ms <= maxDelayMs ? ms : undefined;
  }
  if (TRANSIENT.has(status) && IDEMPOTENT.has(method)) return backoff(attempt);
  return undefined;
}

async function toError<C extends string>(response: Response, requestId: string): Promise<MfaApiError<C>> {
  const answeredId = response.headers.get('x-request-id') ?? requestId;
  const headerRetry = response.headers.get('retry-after');
  let body: { error?: unknown; code?: unknown; details?: unknown; retryAfter?: unknown } | undefined;
  try {
    body = (await response.json()) as typeof body;
  } catch {
    body = undefined;
  }
  if (!body || typeof body.code !== 'string' || typeof body.error !== 'string') {
    return new MfaApiError<C>(response.status, 'UNEXPECTED_RESPONSE', `HTTP ${response.status} without the error envelope`, answeredId);
  }
  const retryAfter =
    typeof body.retryAfter === 'number' || body.retryAfter === null
      ? body.retryAfter
      : headerRetry !== null && /^\d+$/.test(headerRetry)
        ? Number(headerRetry)
        : undefined;
  return new MfaApiError<C>(
    response.status,
    body.code as C,
    body.error,
    answeredId,
    Array.isArray(body.details) ? (body.details as ErrorDetail[]) : [],
    retryAfter,
  );
}
