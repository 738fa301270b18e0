import type { SchemaObject } from '@nestjs/swagger';
import * as S from './schemas';

/** Statuses a route answers with the error envelope, each with the codes it may carry. */
export type RouteErrors = Partial<Record<400 | 403 | 404 | 409 | 423 | 429, string[]>>;

export interface RouteContract {
  /** The 200 answer. JSON unless `contentType` says otherwise. */
  success: SchemaObject;
  contentType?: string;
  /** Route-specific failures; the common ones (below) are added to every route they apply to. */
  errors?: RouteErrors;
  /** No database behind it: no 500/503 from it (health/live, jwks, metrics). */
  noDatabase?: boolean;
  /** A non-envelope 503 (readiness). */
  unavailable?: SchemaObject;
  /**
   * Under /mfa/organization but judged by the member-authority rules (docs/trust-model.md §3), not
   * the org-admin guard: 403 FORBIDDEN, never 400 NO_ORGANIZATION (no organization: 404 USER_NOT_FOUND).
   */
  memberAuthority?: true;
}

/** An admin acting on a member's factors: authority, then (changes) the admin's own MFA and step-up. */
const MEMBER_AUTHORITY = { 403: ['FORBIDDEN', 'USER_MANAGED_ELSEWHERE'], 404: ['USER_NOT_FOUND'] };
const MEMBER_CHANGE = ['FORBIDDEN', 'USER_MANAGED_ELSEWHERE', 'ADMIN_MFA_REQUIRED', 'STEP_UP_REQUIRED'];

const FAILED_VERIFY_SETUP = ['VERIFICATION_FAILED', 'SETUP_EXPIRED', 'SETUP_NOT_PENDING', 'METHOD_NOT_CONFIGURED'];

/**
 * Every route's possible answers, declared once (keyed `METHOD /path` as in the OpenAPI
 * document). openapi-document.ts adds the failures common to a kind of route:
 *   bearer routes                  401 UNAUTHORIZED
 *   every route                    400 MALFORMED_JSON / BAD_REQUEST, 413 PAYLOAD_TOO_LARGE (any request may carry a body)
 *   POST / PUT / PATCH             400 VALIDATION_FAILED, 415 UNSUPPORTED_MEDIA_TYPE
 *   commands                       409 CONCURRENT_MODIFICATION
 *   routes that read the database  500 INTERNAL_ERROR, 503 SERVICE_UNAVAILABLE
 *   org admin routes (/mfa/organization…) 400 NO_ORGANIZATION, 403 FORBIDDEN (memberAuthority: FORBIDDEN only)
 * A route added without an entry here fails the OpenAPI snapshot test (undeclaredRoutes).
 */
export const ROUTE_CONTRACTS: Record<string, RouteContract> = {
  'GET /mfa/status': { success: S.dataEnvelope(S.MFA_STATUS) },
  'GET /mfa/methods': { success: S.dataEnvelope(S.MFA_METHODS) },
  'POST /mfa/setup': {
    success: S.dataEnvelope(S.SETUP_RESULT),
    errors: {
      400: ['INVALID_MFA_TYPE', 'METHOD_NOT_SUPPORTED', 'PASSKEY_REGISTRATION_FAILED'],
      403: ['STEP_UP_REQUIRED', 'METHOD_NOT_ALLOWED', 'EMAIL_NOT_VERIFIED'],
      404: ['USER_NOT_FOUND'],
      409: ['METHOD_ALREADY_ENABLED'],
      429: ['RATE_LIMITED'],
    },
  },
  'POST /mfa/verify-setup': {
    success: S.messageEnvelope(['MFA setup verified and enabled']),
    errors: { 400: FAILED_VERIFY_SETUP, 409: ['METHOD_ALREADY_ENABLED'], 429: ['RATE_LIMITED'] },
  },
  'POST /mfa/enable': {
    success: S.messageEnvelope(['MFA method enabled']),
    errors: { 400: ['METHOD_NOT_CONFIGURED'], 403: ['STEP_UP_REQUIRED', 'METHOD_NOT_ALLOWED'] },
  },
  'POST /mfa/disable': {
    success: S.messageEnvelope(['MFA method disabled']),
    errors: { 400: ['METHOD_NOT_CONFIGURED'], 403: ['STEP_UP_REQUIRED', 'MFA_ENFORCED_BY_ORG'] },
  },
  'POST /mfa/primary': { success: S.messageEnvelope(['Primary MFA method updated']), errors: { 400: ['METHOD_NOT_ENABLED'] } },
  'POST /mfa/reset': {
    success: S.messageEnvelope(['MFA reset successfully']),
    errors: { 403: ['FORBIDDEN', 'STEP_UP_REQUIRED', 'USER_MANAGED_ELSEWHERE', 'ADMIN_MFA_REQUIRED'], 404: ['USER_NOT_FOUND'] },
  },
  'POST /mfa/magic-link/send': {
    success: S.messageEnvelope(['Magic link sent successfully']),
    errors: { 400: ['METHOD_NOT_CONFIGURED'], 403: ['STEP_UP_REQUIRED', 'METHOD_NOT_ALLOWED'], 404: ['USER_NOT_FOUND'], 429: ['RATE_LIMITED'] },
  },
  'GET /mfa/magic-link/activate': { success: { type: 'string', description: 'HTML page with one button that POSTs the token' }, contentType: 'text/html' },
  'POST /mfa/magic-link/activate': {
    success: S.messageEnvelope(['Magic link MFA activated successfully']),
    errors: { 400: ['INVALID_TOKEN'], 404: ['USER_NOT_FOUND'] },
  },
  'POST /mfa/passkey/auth-options': { success: S.dataEnvelope(S.PASSKEY_AUTH_OPTIONS), errors: { 404: ['PASSKEY_NOT_FOUND'] } },
  'POST /mfa/passkey/complete-registration': {
    success: S.messageEnvelope(['Passkey registration completed']),
    errors: { 400: ['PASSKEY_REGISTRATION_FAILED', 'INVALID_CREDENTIAL'], 403: ['STEP_UP_REQUIRED'] },
  },
  'POST /mfa/passkey/complete-registration-1': {
    success: S.messageEnvelope(['Passkey registration completed']),
    errors: { 400: ['PASSKEY_REGISTRATION_FAILED', 'INVALID_CREDENTIAL'], 403: ['STEP_UP_REQUIRED'] },
  },
  'POST /mfa/verify-login': {
    success: S.dataEnvelope(S.VERIFY_LOGIN_RESULT),
    errors: {
      400: ['VERIFICATION_FAILED', 'METHOD_NOT_ENABLED', 'INVALID_CREDENTIAL', 'PASSKEY_AUTHENTICATION_FAILED', 'PASSKEY_COUNTER_REGRESSION'],
      403: ['METHOD_NOT_ALLOWED'],
      404: ['PASSKEY_NOT_FOUND'],
      423: ['LOCKED_OUT'],
    },
  },
  'POST /mfa/backup-codes/regenerate': { success: S.dataEnvelope(S.BACKUP_CODES), errors: { 400: ['METHOD_NOT_ENABLED'], 403: ['STEP_UP_REQUIRED'] } },
  'GET /mfa/authenticators': { success: S.dataEnvelope(S.AUTHENTICATORS) },
  'PATCH /mfa/authenticators/{id}': {
    success: S.messageEnvelope(['Authenticator renamed']),
    // 400 also for the backup codes (they have no name); no step-up: a label only.
    errors: { 404: ['AUTHENTICATOR_NOT_FOUND'] },
  },
  'DELETE /mfa/authenticators/{id}': {
    success: S.messageEnvelope(['Authenticator removed']),
    errors: { 400: ['VALIDATION_FAILED'], 403: ['STEP_UP_REQUIRED', 'MFA_ENFORCED_BY_ORG'], 404: ['AUTHENTICATOR_NOT_FOUND'] },
  },
  'GET /mfa/organization/members/{userId}/authenticators': {
    success: S.dataEnvelope(S.AUTHENTICATORS),
    memberAuthority: true,
    errors: { 400: ['VALIDATION_FAILED'], ...MEMBER_AUTHORITY },
  },
  'DELETE /mfa/organization/members/{userId}/authenticators/{id}': {
    success: S.messageEnvelope(['Authenticator removed']),
    memberAuthority: true,
    errors: { 400: ['VALIDATION_FAILED'], 403: [...MEMBER_CHANGE, 'MFA_ENFORCED_BY_ORG'], 404: ['USER_NOT_FOUND', 'AUTHENTICATOR_NOT_FOUND'] },
  },
  'GET /mfa/trusted-devices': { success: S.dataEnvelope(S.TRUSTED_DEVICES) },
  'DELETE /mfa/trusted-devices/{id}': { success: S.messageEnvelope(['Trusted device revoked']), errors: { 404: ['TRUSTED_DEVICE_NOT_FOUND'] } },
  'DELETE /mfa/organization/members/{userId}/trusted-devices': {
    success: S.messageEnvelope(['Trusted devices revoked']),
    memberAuthority: true,
    errors: { 400: ['VALIDATION_FAILED'], 403: MEMBER_CHANGE, 404: ['USER_NOT_FOUND'] },
  },
  'POST /mfa/organization/enforce': {
    success: S.messageEnvelope(['MFA enforcement enabled for organization', 'MFA enforcement disabled for organization']),
    errors: { 403: ['ADMIN_MFA_REQUIRED', 'STEP_UP_REQUIRED'] },
  },
  'GET /mfa/organization': { success: S.dataEnvelope(S.ORG_POLICY) },
  'GET /mfa/organization/members': { success: S.dataEnvelope(S.MEMBER_PAGE), errors: { 400: ['VALIDATION_FAILED'] } },
  'PUT /mfa/organization/exemptions/{userId}': {
    success: S.messageEnvelope(['MFA exemption granted']),
    errors: { 403: ['ADMIN_MFA_REQUIRED', 'STEP_UP_REQUIRED'], 404: ['USER_NOT_FOUND'] },
  },
  'DELETE /mfa/organization/exemptions/{userId}': {
    success: S.messageEnvelope(['MFA exemption revoked']),
    errors: { 400: ['VALIDATION_FAILED'], 404: ['EXEMPTION_NOT_FOUND'] },
  },
  'GET /.well-known/jwks.json': { success: S.JWKS, noDatabase: true },
  'GET /health/live': { success: S.HEALTH_LIVE, noDatabase: true },
  'GET /health/ready': { success: S.HEALTH_READY, noDatabase: true, unavailable: S.HEALTH_READY },
};
