import type { SchemaObject } from '@nestjs/swagger';
import { MFA_METHOD_NAMES, VERIFICATION_METHOD_NAMES } from '@mfa/contracts/events';

/**
 * JSON schemas (OpenAPI 3.0) of what the service answers and accepts, as strict as the code:
 * `additionalProperties: false` wherever the validation rejects unknown fields or the code builds
 * the object itself. Used by openapi-document.ts; the typed client (libs/client) mirrors them.
 */
const METHODS: string[] = [...MFA_METHOD_NAMES];
const VERIFICATION_METHODS: string[] = [...VERIFICATION_METHOD_NAMES];
const USER_ID_PATTERN = '^[A-Za-z0-9._@|-]{1,128}$';

const str = (extra: SchemaObject = {}): SchemaObject => ({ type: 'string', ...extra });
const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, nullable: true });
const dateTime = str({ format: 'date-time' });
const int = (extra: SchemaObject = {}): SchemaObject => ({ type: 'integer', ...extra });
const bool: SchemaObject = { type: 'boolean' };
const method: SchemaObject = { type: 'string', enum: METHODS };
const object = (properties: Record<string, SchemaObject>, required: string[] = Object.keys(properties)): SchemaObject => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const anyObject: SchemaObject = { type: 'object', additionalProperties: true };

export const USER_ID_PARAMETER_SCHEMA = str({ pattern: USER_ID_PATTERN, minLength: 1, maxLength: 128 });
/** Authenticator and trusted-device ids in paths (AuthenticatorIdPipe): any other shape is answered 404 as an unknown id. */
export const AUTHENTICATOR_ID_PARAMETER_SCHEMA = str({ pattern: '^[A-Za-z0-9_-]{1,64}$', minLength: 1, maxLength: 64 });

/**
 * A display name (authenticatorName): trimmed, 1–64 characters, no Unicode "other" (category C)
 * character. The pattern is written for both ECMA and Python regexes, so it names the control,
 * format and private-use ranges of the BMP; the service also refuses unassigned code points and
 * astral format / private-use characters (400 VALIDATION_FAILED), which no portable pattern names.
 */
const NOT_PRINTABLE =
  '\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uE000-\\uF8FF\\uFEFF\\uFFF9-\\uFFFB';
/** JavaScript's String.prototype.trim() whitespace (what the service trims). */
const TRIMMED = '\\t\\n\\u000B\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';
const displayName = (description: string): SchemaObject =>
  str({
    minLength: 1,
    maxLength: 256,
    pattern: `^[${TRIMMED}]*[^${NOT_PRINTABLE}${TRIMMED}](?:[^${NOT_PRINTABLE}]{0,62}[^${NOT_PRINTABLE}${TRIMMED}])?[${TRIMMED}]*$`,
    description,
  });

export const ERROR_ENVELOPE: SchemaObject = object(
  {
    success: { type: 'boolean', enum: [false] },
    error: str({ description: 'A human sentence, safe to show' }),
    code: str({ description: 'Stable machine-readable code (README: Error codes)' }),
    details: { type: 'array', items: object({ field: str(), message: str() }) },
    retryAfter: nullable(int({ minimum: 0, description: 'Seconds until a retry may succeed (429, 423); null: until an admin resets' })),
  },
  ['success', 'error', 'code'],
);

export const messageEnvelope = (messages: string[]): SchemaObject =>
  object({ success: { type: 'boolean', enum: [true] }, message: { type: 'string', enum: messages } });
export const dataEnvelope = (data: SchemaObject): SchemaObject => object({ success: { type: 'boolean', enum: [true] }, data });

// ---- success data -------------------------------------------------------------------------

export const MFA_STATUS = object({
  isEnabled: bool,
  isRequired: bool,
  isEnforced: bool,
  enabledMethods: { type: 'array', items: method },
  primaryMethod: nullable(method),
  setupRequired: bool,
  enforcementDeadline: nullable(dateTime),
  exempt: bool,
  requiredBy: nullable(str({ enum: ['organization', 'user'] })),
  enforcedBy: { type: 'array', items: str(), description: 'Every organization that enforces MFA on the user (all active memberships)' },
  backupCodesRemaining: int({ minimum: 0 }),
});

export const MFA_METHODS = {
  type: 'array',
  items: object({ type: method, name: str(), description: str(), isAvailable: bool, isConfigured: bool, isEnabled: bool }),
} satisfies SchemaObject;

const TOTP_SETUP = object({
  secret: str({ pattern: '^[A-Z2-7]+=*$', description: 'base32, at least 160 bits' }),
  otpauthUrl: str({ pattern: '^otpauth://totp/' }),
  qrCode: str({ pattern: '^data:image/png;base64,' }),
  backupCodes: { type: 'array', items: str(), minItems: 10, maxItems: 10 },
});
const MAGIC_LINK_SETUP = object({ email: str(), verificationRequired: { type: 'boolean', enum: [true] } });
/** WebAuthn PublicKeyCredentialCreationOptionsJSON (its own standard; extra members allowed). */
const PASSKEY_SETUP: SchemaObject = {
  type: 'object',
  required: ['challenge', 'rp', 'user', 'pubKeyCredParams'],
  properties: {
    challenge: str(),
    rp: { type: 'object', required: ['name'], properties: { id: str(), name: str() } },
    user: { type: 'object', required: ['id', 'name', 'displayName'], properties: { id: str(), name: str(), displayName: str() } },
    pubKeyCredParams: { type: 'array', items: { type: 'object', required: ['alg', 'type'], properties: { alg: int(), type: str() } } },
    timeout: int(),
    excludeCredentials: { type: 'array', items: { type: 'object', required: ['id', 'type'], properties: { id: str(), type: str() } } },
    authenticatorSelection: anyObject,
    attestation: str(),
  },
  additionalProperties: true,
};
export const SETUP_RESULT: SchemaObject = {
  oneOf: [TOTP_SETUP, MAGIC_LINK_SETUP, PASSKEY_SETUP],
  description:
    'By mfaType: GOOGLE_AUTH → secret, otpauthUrl, qrCode, backupCodes; MAGIC_LINK → email, verificationRequired; PASSKEY → WebAuthn creation options',
};

export const PASSKEY_AUTH_OPTIONS = object({
  challenge: str(),
  rpId: str(),
  userVerification: str({ enum: ['preferred', 'required'] }),
  timeout: int(),
  allowCredentials: {
    type: 'array',
    items: object({ id: str(), type: str({ enum: ['public-key'] }), transports: { type: 'array', items: str() } }, ['id', 'type']),
  },
});

const TRUSTED_DEVICE_ID = str({ pattern: '^td-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const DEVICE_TOKEN = str({ pattern: '^[A-Za-z0-9_-]{43}$', description: '256 bits, base64url; shown once, only its hash is stored' });

const VERIFIED_LOGIN = {
  verified: { type: 'boolean', enum: [true] },
  method: str({ enum: VERIFICATION_METHODS }),
  mfaToken: str({ description: 'ES256 JWT (see /.well-known/jwks.json)' }),
  expiresAt: dateTime,
} satisfies Record<string, SchemaObject>;
export const VERIFY_LOGIN_RESULT: SchemaObject = {
  oneOf: [
    object(VERIFIED_LOGIN),
    object({
      ...VERIFIED_LOGIN,
      method: str({ enum: [...VERIFICATION_METHODS].filter((m) => m !== 'TRUSTED_DEVICE') }),
      deviceToken: DEVICE_TOKEN,
      deviceId: TRUSTED_DEVICE_ID,
      deviceExpiresAt: dateTime,
    }),
  ],
  description:
    'With deviceToken, deviceId and deviceExpiresAt when rememberDevice was asked and every organization of the user allows it (rememberDeviceDays > 0)',
};

export const BACKUP_CODES = object({ backupCodes: { type: 'array', items: str(), minItems: 10, maxItems: 10 } });

export const ORG_POLICY = object({
  orgId: str(),
  enforced: bool,
  enforcedAt: nullable(dateTime),
  enforcedBy: nullable(str()),
  gracePeriodDays: int({ minimum: 0, maximum: 90 }),
  enforcementDeadline: nullable(dateTime),
  allowedMethods: { type: 'array', items: method },
  rememberDeviceDays: int({ minimum: 0, maximum: 90, description: '0 when remembering devices is off (and whenever enforcement is off)' }),
  exemptions: int({ minimum: 0 }),
  members: object({ total: int({ minimum: 0 }), compliant: int({ minimum: 0 }), pending: int({ minimum: 0 }), exempt: int({ minimum: 0 }) }),
});

export const MEMBER_PAGE = object({
  items: {
    type: 'array',
    items: object({
      userId: str(),
      status: str({ enum: ['compliant', 'pending', 'exempt'] }),
      isEnabled: bool,
      enabledMethods: { type: 'array', items: method },
      methodCounts: object({
        passkeys: int({ minimum: 0 }),
        authenticatorApps: int({ minimum: 0, maximum: 1 }),
        emailAddresses: int({ minimum: 0, maximum: 1 }),
        backupCodesRemaining: int({ minimum: 0 }),
      }),
      exempt: bool,
      exemptUntil: nullable(dateTime),
    }),
  },
  nextCursor: nullable(str()),
});

const authenticator = (type: string, id: SchemaObject, extra: Record<string, SchemaObject> = {}, name: SchemaObject = nullable(str())): SchemaObject =>
  object({
    id,
    type: str({ enum: [type] }),
    enabled: { type: 'boolean', description: 'Whether its method is enabled (backup codes: while any method is)' },
    name,
    createdAt: nullable(dateTime),
    lastUsedAt: nullable(dateTime),
    ...extra,
  });
/** GET /mfa/authenticators entries, one shape per `type`; never a secret, public key, hash or full address. */
export const AUTHENTICATORS: SchemaObject = {
  type: 'array',
  items: {
    oneOf: [
      authenticator('PASSKEY', str({ pattern: '^pk-[A-Za-z0-9_-]{22}$' }), {
        createdAt: dateTime,
        deviceType: str({ enum: ['singleDevice', 'multiDevice'] }),
        backedUp: bool,
        transports: { type: 'array', items: str() },
        provider: nullable(str({ description: 'From the AAGUID when known' })),
      }),
      authenticator('GOOGLE_AUTH', str({ enum: ['totp'] })),
      authenticator('MAGIC_LINK', str({ enum: ['email'] }), { email: str({ description: 'Masked: first character, ***, domain' }) }),
      authenticator(
        'BACKUP_CODES',
        str({ enum: ['backup-codes'] }),
        { remaining: int({ minimum: 0, maximum: 10 }), generatedAt: nullable(dateTime) },
        { type: 'string', nullable: true, enum: [null], description: 'Backup codes have no name' },
      ),
    ],
    description: 'Discriminated by type: PASSKEY (one per passkey), GOOGLE_AUTH (id totp), MAGIC_LINK (id email), BACKUP_CODES (id backup-codes)',
  },
};

/** GET /mfa/trusted-devices: the devices still accepted, expiry under today's policy; never a token or hash. */
export const TRUSTED_DEVICES: SchemaObject = {
  type: 'array',
  maxItems: 20,
  items: object({
    id: TRUSTED_DEVICE_ID,
    name: nullable(str({ minLength: 1, maxLength: 64 })),
    createdAt: dateTime,
    lastUsedAt: nullable(dateTime),
    expiresAt: dateTime,
  }),
};

export const JWKS = object({
  keys: {
    type: 'array',
    items: {
      type: 'object',
      required: ['kty', 'kid'],
      properties: { kty: str(), kid: str(), crv: str(), x: str(), y: str(), alg: str(), use: str() },
      additionalProperties: false,
    },
  },
});

export const HEALTH_LIVE = object({ status: str({ enum: ['ok'] }) });
export const HEALTH_READY = object({
  status: str({ enum: ['ok', 'unavailable'] }),
  checks: { type: 'object', additionalProperties: str({ enum: ['up', 'down'] }) },
  outbox: object({ backlogEvents: int({ minimum: 0 }), oldestUnpublishedAgeSeconds: { type: 'number', minimum: 0 } }),
});

// ---- request bodies (by DTO name): exactly what the validation accepts ----------------------

const code6 = str({ pattern: '^[0-9]{6}$' });
const credential: SchemaObject = { type: 'object', additionalProperties: true, description: 'WebAuthn response JSON' };
// Every variant accepts every field the validation accepts (a field another type needs is ignored).
const verifyLoginVariant = (types: string[], required: string, token: SchemaObject = str({ maxLength: 256 })): SchemaObject =>
  object(
    {
      mfaType: str({ enum: types }),
      code: str({ maxLength: 64 }),
      token,
      credential,
      rememberDevice: { type: 'boolean', description: 'Ask for a deviceToken (default false; ignored with TRUSTED_DEVICE: that device is already remembered)' },
      deviceName: displayName('Name of the remembered device: 1–64 printable characters once trimmed'),
    },
    ['mfaType', required],
  );

export const REQUEST_SCHEMAS: Record<string, SchemaObject> = {
  MfaTypeRequest: object({ mfaType: method }),
  SetupMfaRequest: object(
    {
      mfaType: method,
      email: str({ format: 'email', maxLength: 254, description: 'MAGIC_LINK: address to send the link to (defaults to the token email)' }),
      deviceInfo: object({ name: str({ maxLength: 100 }), type: str({ maxLength: 50 }) }, []),
    },
    ['mfaType'],
  ),
  VerifyMfaSetupRequest: {
    oneOf: [{ $ref: '#/components/schemas/VerifyTotpSetupRequest' }, { $ref: '#/components/schemas/VerifyOtherSetupRequest' }],
    discriminator: {
      propertyName: 'mfaType',
      mapping: {
        GOOGLE_AUTH: '#/components/schemas/VerifyTotpSetupRequest',
        MAGIC_LINK: '#/components/schemas/VerifyOtherSetupRequest',
        PASSKEY: '#/components/schemas/VerifyOtherSetupRequest',
      },
    },
  },
  VerifyTotpSetupRequest: object({ mfaType: str({ enum: ['GOOGLE_AUTH'] }), code: code6, credential }, ['mfaType', 'code']),
  VerifyOtherSetupRequest: object({ mfaType: str({ enum: ['MAGIC_LINK', 'PASSKEY'] }), code: code6, credential }, ['mfaType']),
  VerifyLoginRequest: {
    oneOf: [
      { $ref: '#/components/schemas/VerifyLoginCodeRequest' },
      { $ref: '#/components/schemas/VerifyLoginMagicLinkRequest' },
      { $ref: '#/components/schemas/VerifyLoginPasskeyRequest' },
      { $ref: '#/components/schemas/VerifyLoginTrustedDeviceRequest' },
    ],
    discriminator: {
      propertyName: 'mfaType',
      mapping: {
        GOOGLE_AUTH: '#/components/schemas/VerifyLoginCodeRequest',
        BACKUP_CODE: '#/components/schemas/VerifyLoginCodeRequest',
        MAGIC_LINK: '#/components/schemas/VerifyLoginMagicLinkRequest',
        PASSKEY: '#/components/schemas/VerifyLoginPasskeyRequest',
        TRUSTED_DEVICE: '#/components/schemas/VerifyLoginTrustedDeviceRequest',
      },
    },
  },
  VerifyLoginCodeRequest: verifyLoginVariant(['GOOGLE_AUTH', 'BACKUP_CODE'], 'code'),
  VerifyLoginMagicLinkRequest: verifyLoginVariant(['MAGIC_LINK'], 'token'),
  VerifyLoginPasskeyRequest: verifyLoginVariant(['PASSKEY'], 'credential'),
  // A token not shaped like a deviceToken is refused before anything is read (400 VALIDATION_FAILED).
  VerifyLoginTrustedDeviceRequest: verifyLoginVariant(['TRUSTED_DEVICE'], 'token', DEVICE_TOKEN),
  ResetMfaRequest: object({ resetUserId: str({ pattern: USER_ID_PATTERN }) }, []),
  ActivateMagicLinkRequest: object({ token: str({ maxLength: 128 }) }),
  CompletePasskeyRegistrationRequest: object({ credential, challenge: str({ maxLength: 128 }) }),
  // gracePeriodDays / allowedMethods / rememberDeviceDays with enforced: false are refused rather than ignored.
  EnforceOrgMfaRequest: {
    oneOf: [
      object(
        {
          enforced: { type: 'boolean', enum: [true] },
          gracePeriodDays: int({ minimum: 0, maximum: 90 }),
          allowedMethods: { type: 'array', items: method, minItems: 1, maxItems: METHODS.length, uniqueItems: true },
          rememberDeviceDays: int({ minimum: 0, maximum: 90, description: 'Default 0 (off); kept when omitted; raising it needs the admin’s MFA and step-up' }),
        },
        ['enforced'],
      ),
      object({ enforced: { type: 'boolean', enum: [false] } }),
    ],
  },
  RenameAuthenticatorRequest: object({ name: displayName('1–64 printable characters once trimmed') }),
  GrantExemptionRequest: object(
    {
      reason: str({ minLength: 1, maxLength: 500, pattern: '\\S' }),
      expiresAt: str({ format: 'date-time', description: 'In the future; omit for none' }),
    },
    ['reason'],
  ),
};
