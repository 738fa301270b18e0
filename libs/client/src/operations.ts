/**
 * Every operation of mfa-service's HTTP API: method, path and the error codes it may answer.
 * Checked against the OpenAPI document in CI (test/e2e/client.e2e.spec.ts): an operation or a
 * code added to the service without being added here fails the build.
 */
export const OPERATIONS = {
  getStatus: {
    method: 'GET',
    path: '/mfa/status',
    errors: ['BAD_REQUEST', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED'],
  },
  getMethods: {
    method: 'GET',
    path: '/mfa/methods',
    errors: ['BAD_REQUEST', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED'],
  },
  setup: {
    method: 'POST',
    path: '/mfa/setup',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'EMAIL_NOT_VERIFIED', 'INTERNAL_ERROR', 'INVALID_MFA_TYPE', 'MALFORMED_JSON', 'METHOD_ALREADY_ENABLED', 'METHOD_NOT_ALLOWED', 'METHOD_NOT_SUPPORTED', 'PASSKEY_REGISTRATION_FAILED', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  verifySetup: {
    method: 'POST',
    path: '/mfa/verify-setup',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'METHOD_ALREADY_ENABLED', 'METHOD_NOT_CONFIGURED', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'SETUP_EXPIRED', 'SETUP_NOT_PENDING', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', 'VERIFICATION_FAILED'],
  },
  enable: {
    method: 'POST',
    path: '/mfa/enable',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'METHOD_NOT_ALLOWED', 'METHOD_NOT_CONFIGURED', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  disable: {
    method: 'POST',
    path: '/mfa/disable',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'METHOD_NOT_CONFIGURED', 'MFA_ENFORCED_BY_ORG', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  setPrimary: {
    method: 'POST',
    path: '/mfa/primary',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'METHOD_NOT_ENABLED', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  reset: {
    method: 'POST',
    path: '/mfa/reset',
    errors: ['ADMIN_MFA_REQUIRED', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'USER_MANAGED_ELSEWHERE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  sendMagicLink: {
    method: 'POST',
    path: '/mfa/magic-link/send',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'METHOD_NOT_ALLOWED', 'METHOD_NOT_CONFIGURED', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  magicLinkPage: {
    method: 'GET',
    path: '/mfa/magic-link/activate',
    errors: ['BAD_REQUEST', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE'],
  },
  activateMagicLink: {
    method: 'POST',
    path: '/mfa/magic-link/activate',
    errors: ['BAD_REQUEST', 'INTERNAL_ERROR', 'INVALID_TOKEN', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNSUPPORTED_MEDIA_TYPE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  passkeyAuthOptions: {
    method: 'POST',
    path: '/mfa/passkey/auth-options',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PASSKEY_NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  completePasskeyRegistration: {
    method: 'POST',
    path: '/mfa/passkey/complete-registration',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'INVALID_CREDENTIAL', 'MALFORMED_JSON', 'PASSKEY_REGISTRATION_FAILED', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  completePasskeyRegistrationLegacy: {
    method: 'POST',
    path: '/mfa/passkey/complete-registration-1',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'INVALID_CREDENTIAL', 'MALFORMED_JSON', 'PASSKEY_REGISTRATION_FAILED', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  verifyLogin: {
    method: 'POST',
    path: '/mfa/verify-login',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'INVALID_CREDENTIAL', 'LOCKED_OUT', 'MALFORMED_JSON', 'METHOD_NOT_ALLOWED', 'METHOD_NOT_ENABLED', 'PASSKEY_AUTHENTICATION_FAILED', 'PASSKEY_COUNTER_REGRESSION', 'PASSKEY_NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', 'VERIFICATION_FAILED'],
  },
  regenerateBackupCodes: {
    method: 'POST',
    path: '/mfa/backup-codes/regenerate',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'METHOD_NOT_ENABLED', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  listAuthenticators: {
    method: 'GET',
    path: '/mfa/authenticators',
    errors: ['BAD_REQUEST', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED'],
  },
  renameAuthenticator: {
    method: 'PATCH',
    path: '/mfa/authenticators/{id}',
    errors: ['AUTHENTICATOR_NOT_FOUND', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  removeAuthenticator: {
    method: 'DELETE',
    path: '/mfa/authenticators/{id}',
    errors: ['AUTHENTICATOR_NOT_FOUND', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'MFA_ENFORCED_BY_ORG', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'VALIDATION_FAILED'],
  },
  listTrustedDevices: {
    method: 'GET',
    path: '/mfa/trusted-devices',
    errors: ['BAD_REQUEST', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED'],
  },
  revokeTrustedDevice: {
    method: 'DELETE',
    path: '/mfa/trusted-devices/{id}',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'TRUSTED_DEVICE_NOT_FOUND', 'UNAUTHORIZED'],
  },
  enforceOrgMfa: {
    method: 'POST',
    path: '/mfa/organization/enforce',
    errors: ['ADMIN_MFA_REQUIRED', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'NO_ORGANIZATION', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED'],
  },
  getOrgPolicy: {
    method: 'GET',
    path: '/mfa/organization',
    errors: ['BAD_REQUEST', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'NO_ORGANIZATION', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED'],
  },
  listOrgMembers: {
    method: 'GET',
    path: '/mfa/organization/members',
    errors: ['BAD_REQUEST', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'NO_ORGANIZATION', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'VALIDATION_FAILED'],
  },
  grantExemption: {
    method: 'PUT',
    path: '/mfa/organization/exemptions/{userId}',
    errors: ['ADMIN_MFA_REQUIRED', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'NO_ORGANIZATION', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  revokeExemption: {
    method: 'DELETE',
    path: '/mfa/organization/exemptions/{userId}',
    errors: ['BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'EXEMPTION_NOT_FOUND', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'NO_ORGANIZATION', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'VALIDATION_FAILED'],
  },
  listMemberAuthenticators: {
    method: 'GET',
    path: '/mfa/organization/members/{userId}/authenticators',
    errors: ['BAD_REQUEST', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'UNAUTHORIZED', 'USER_MANAGED_ELSEWHERE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  removeMemberAuthenticator: {
    method: 'DELETE',
    path: '/mfa/organization/members/{userId}/authenticators/{id}',
    errors: ['ADMIN_MFA_REQUIRED', 'AUTHENTICATOR_NOT_FOUND', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'MFA_ENFORCED_BY_ORG', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'USER_MANAGED_ELSEWHERE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  revokeMemberTrustedDevices: {
    method: 'DELETE',
    path: '/mfa/organization/members/{userId}/trusted-devices',
    errors: ['ADMIN_MFA_REQUIRED', 'BAD_REQUEST', 'CONCURRENT_MODIFICATION', 'FORBIDDEN', 'INTERNAL_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'STEP_UP_REQUIRED', 'UNAUTHORIZED', 'USER_MANAGED_ELSEWHERE', 'USER_NOT_FOUND', 'VALIDATION_FAILED'],
  },
  getJwks: {
    method: 'GET',
    path: '/.well-known/jwks.json',
    errors: ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'],
  },
  live: {
    method: 'GET',
    path: '/health/live',
    errors: ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'],
  },
  ready: {
    method: 'GET',
    path: '/health/ready',
    errors: ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'],
  },
} as const;

export type OperationName = keyof typeof OPERATIONS;
/** The error codes one operation may answer. */
export type ErrorCodeOf<O extends OperationName> = (typeof OPERATIONS)[O]['errors'][number];
/** Every error code of the API. */
export type ErrorCode = ErrorCodeOf<OperationName>;
