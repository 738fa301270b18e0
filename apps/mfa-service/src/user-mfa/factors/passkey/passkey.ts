import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type CredentialDeviceType,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppError, validationFailed } from '@mfa/common/errors/app-error';
import { isExactOrigin } from '@mfa/common/http/exact-origin';
import { counterAdvanced } from './domain/passkey.state';

export type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  CredentialDeviceType,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
};

/** A registration or login challenge is valid for 5 minutes. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
export const CHALLENGE_BYTES = 32;
const MIN_CHALLENGE_BYTES = 16;
/** Serialized size above which a submitted credential is refused before any parsing. */
export const MAX_CREDENTIAL_JSON_BYTES = 16 * 1024;
/** WebAuthn L3 §7.1 step 23: RPs should reject credential ids longer than 1023 bytes. */
const MAX_CREDENTIAL_ID_BYTES = 1023;
const USER_HANDLE_MAX_BYTES = 64;
/** ES256 and RS256: what every platform authenticator offers. */
export const PASSKEY_ALGORITHMS = [-7, -257];

const TRANSPORTS: readonly AuthenticatorTransportFuture[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type PasskeyUserVerification = 'required' | 'preferred';

export interface PasskeyConfig {
  rpId: string;
  rpName: string;
  /** Exact origins (scheme://host[:port]) a ceremony may come from. */
  origins: readonly string[];
  userVerification: PasskeyUserVerification;
  timeoutMs: number;
}

export interface PasskeyDescriptor {
  credentialId: string;
  transports?: readonly string[];
}

export interface StoredPasskey extends PasskeyDescriptor {
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
}

export interface RegisteredPasskey {
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: AuthenticatorTransportFuture[];
  deviceType: CredentialDeviceType;
  backedUp: boolean;
  aaguid: string;
  userVerified: boolean;
}

export interface PasskeyAssertion {
  credentialId: string;
  newCounter: number;
  userVerified: boolean;
  deviceType: CredentialDeviceType;
  backedUp: boolean;
}

export interface RegistrationOptionsInput {
  userId: string;
  userName: string;
  existing: readonly PasskeyDescriptor[];
  /** base64url, ≥16 bytes; generated when omitted. */
  challenge?: string;
}

export interface AuthenticationOptionsInput {
  allow: readonly PasskeyDescriptor[];
  challenge?: string;
}

export interface VerifyRegistrationInput {
  response: unknown;
  expectedChallenge: string;
}

export interface VerifyAuthenticationInput {
  response: unknown;
  expectedChallenge: string;
  /** The stored credential the caller looked up by id *for this user* (a credential id of another user is no proof). */
  credential: StoredPasskey;
}

/** What the domain depends on for WebAuthn ceremonies. */
export interface PasskeyVerifier {
  registrationOptions(input: RegistrationOptionsInput): Promise<PublicKeyCredentialCreationOptionsJSON>;
  verifyRegistration(input: VerifyRegistrationInput): Promise<RegisteredPasskey>;
  authenticationOptions(input: AuthenticationOptionsInput): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verifyAuthentication(input: VerifyAuthenticationInput): Promise<PasskeyAssertion>;
}

/**
 * The user id becomes the WebAuthn user handle, which holds 1-64 bytes: checked before anything
 * is committed, so a longer `sub` is the caller's 400, never a 500 after a pending setup.
 */
export function assertUsableUserHandle(userId: string): void {
  const bytes = Buffer.byteLength(userId, 'utf8');
  if (bytes === 0 || bytes > USER_HANDLE_MAX_BYTES) {
    throw validationFailed([{ field: 'sub', message: `the user id must be 1-${USER_HANDLE_MAX_BYTES} bytes to be a WebAuthn user handle` }]);
  }
}

/** 32 random bytes, base64url (43 characters). */
export function generatePasskeyChallenge(): string {
  return randomBytes(CHALLENGE_BYTES).toString('base64url');
}

interface CredentialShape {
  id: string;
  rawId: string;
  type: string;
  response: Record<string, unknown>;
}

/** Cheap structural and size check for a submitted credential, before any decoding. */
export function assertCredentialShape(json: unknown): asserts json is CredentialShape {
  const invalid = (why: string): AppError => new AppError('validation', 'INVALID_CREDENTIAL', `Invalid credential: ${why}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('must be an object');
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(json), 'utf8');
  } catch {
    throw invalid('not serializable');
  }
  if (size > MAX_CREDENTIAL_JSON_BYTES) throw invalid('too large');
  const record = json as Record<string, unknown>;
  for (const field of ['id', 'rawId', 'type'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') throw invalid(`missing ${field}`);
  }
  const response = record.response;
  if (typeof response !== 'object' || response === null || Array.isArray(response)) throw invalid('missing response');
}

/**
 * The challenge a submitted credential answers, read from its clientDataJSON (base64url JSON),
 * to find the stored challenge it must match; null when unreadable. The signature over it is
 * verified later; this only says which outstanding challenge the client claims.
 */
export function clientDataChallenge(credential: CredentialShape): string | null {
  const encoded = credential.response['clientDataJSON'];
  if (typeof encoded !== 'string' || encoded.length > MAX_CREDENTIAL_JSON_BYTES) return null;
  try {
    const clientData = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof clientData.challenge === 'string' && clientData.challenge.length <= 512 ? clientData.challenge : null;
  } catch {
    return null;
  }
}

/**
 * WebAuthn registration and authentication on top of @simplewebauthn/server v13, with the
 * challenge, origin, RP id, user-verification and counter rules applied around it. Library error texts never reach the caller:
 * they are attached as a non-enumerable `cause` for logging.
 */
export class PasskeyStrategy implements PasskeyVerifier {
  private readonly config: PasskeyConfig;

  constructor(config: PasskeyConfig) {
    if (!config.rpId || !config.rpName) throw configError('rpId and rpName are required');
    if (config.origins.length === 0) throw configError('at least one origin is required');
    for (const origin of config.origins) {
      if (!isExactOrigin(origin)) throw configError(`"${origin}" must be exactly http(s)://host[:port]`);
    }
    if (!Number.isInteger(config.timeoutMs) || config.timeoutMs <= 0) throw configError('timeoutMs must be a positive integer');
    this.config = { ...config, origins: [...config.origins] };
  }

  get userVerification(): PasskeyUserVerification {
    return this.config.userVerification;
  }

  async registrationOptions(input: RegistrationOptionsInput): Promise<PublicKeyCredentialCreationOptionsJSON> {
    assertUsableUserHandle(input.userId);
    const userID = Buffer.from(input.userId, 'utf8');
    return generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: input.userName,
      userDisplayName: input.userName,
      userID: new Uint8Array(userID),
      // v13 turns a *string* challenge into its UTF-8 bytes; pass bytes so options.challenge is ours verbatim.
      challenge: challengeBytes(input.challenge ?? generatePasskeyChallenge()),
      timeout: this.config.timeoutMs,
      attestationType: 'none',
      excludeCredentials: input.existing.map(descriptor),
      // A fresh object each call: the library mutates it (adds requireResidentKey).
      authenticatorSelection: { residentKey: 'preferred', userVerification: this.config.userVerification },
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    });
  }

  async verifyRegistration({ response, expectedChallenge }: VerifyRegistrationInput): Promise<RegisteredPasskey> {
    const fail = (cause: unknown): AppError => withCause(new AppError('validation', 'PASSKEY_REGISTRATION_FAILED', 'Passkey registration failed'), cause);
    assertExpectedChallenge(expectedChallenge);
    try {
      assertCredentialShape(response);
    } catch (error) {
      throw fail(error);
    }
    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      result = await verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: [...this.config.origins],
        // Optional in the library: when omitted the rpIdHash is not checked at all.
        expectedRPID: this.config.rpId,
        expectedType: 'webauthn.create',
        requireUserPresence: true,
        requireUserVerification: this.config.userVerification === 'required',
        supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
      });
    } catch (error) {
      throw fail(error);
    }
    if (!result.verified) throw fail(new Error('attestation not verified'));
    const info = result.registrationInfo;
    const { credential } = info;
    if (credential.id !== response.id) throw fail(new Error('credential id differs from authenticator data'));
    if (Buffer.from(credential.id, 'base64url').length > MAX_CREDENTIAL_ID_BYTES) throw fail(new Error('credential id too long'));
    return {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: knownTransports(credential.transports),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      userVerified: info.userVerified,
    };
  }

  async authenticationOptions(input: AuthenticationOptionsInput): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.config.rpId,
      allowCredentials: input.allow.map(descriptor),
      challenge: challengeBytes(input.challenge ?? generatePasskeyChallenge()),
      timeout: this.config.timeoutMs,
      userVerification: this.config.userVerification,
    });
  }

  async verifyAuthentication({ response, expectedChallenge, credential }: VerifyAuthenticationInput): Promise<PasskeyAssertion> {
    const fail = (cause: unknown): AppError => withCause(new AppError('validation', 'PASSKEY_AUTHENTICATION_FAILED', 'Passkey verification failed'), cause);
    assertExpectedChallenge(expectedChallenge);
    try {
      assertCredentialShape(response);
    } catch (error) {
      throw fail(error);
    }
    // The library returns the *stored* id without comparing it to the response's.
    if (response.id !== credential.credentialId) throw fail(new Error('assertion is for another credential'));
    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: [...this.config.origins],
        expectedRPID: this.config.rpId,
        expectedType: 'webauthn.get',
        requireUserVerification: this.config.userVerification === 'required',
        credential: {
          id: credential.credentialId,
          publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')),
          // The library checks the counter *before* the signature and with an anonymous Error;
          // we apply the rule ourselves below, only for a correctly signed assertion.
          counter: 0,
          transports: knownTransports(credential.transports),
        },
      });
    } catch (error) {
      throw fail(error);
    }
    if (!result.verified) throw fail(new Error('signature not verified'));
    const info = result.authenticationInfo;
    if (!counterAdvanced(credential.counter, info.newCounter)) {
      throw withCause(
        new AppError('validation', 'PASSKEY_COUNTER_REGRESSION', 'Passkey verification failed'),
        new Error(`signature counter ${info.newCounter} is not greater than stored ${credential.counter}`),
      );
    }
    return {
      credentialId: credential.credentialId,
      newCounter: info.newCounter,
      userVerified: info.userVerified,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    };
  }
}

function descriptor(d: PasskeyDescriptor): { id: string; transports?: AuthenticatorTransportFuture[] } {
  const transports = knownTransports(d.transports);
  return transports.length > 0 ? { id: d.credentialId, transports } : { id: d.credentialId };
}

function knownTransports(values: readonly string[] | undefined): AuthenticatorTransportFuture[] {
  // Transports come from the client unvalidated; keep only known values from a real array.
  if (!Array.isArray(values)) return [];
  return TRANSPORTS.filter((t) => values.includes(t));
}

function challengeBytes(challenge: string): Uint8Array<ArrayBuffer> {
  const bytes = Buffer.from(challenge, 'base64url');
  if (!BASE64URL.test(challenge) || bytes.length < MIN_CHALLENGE_BYTES || bytes.toString('base64url') !== challenge) {
    throw new AppError('internal', 'PASSKEY_CHALLENGE_INVALID', 'Challenge must be canonical base64url of at least 16 bytes');
  }
  return new Uint8Array(bytes);
}

function assertExpectedChallenge(challenge: string): void {
  if (typeof challenge !== 'string' || challenge.length === 0) {
    throw new AppError('internal', 'PASSKEY_CHALLENGE_INVALID', 'Expected challenge is missing');
  }
}

function withCause(error: AppError, cause: unknown): AppError {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: false, configurable: true });
  return error;
}

function configError(why: string): AppError {
  return new AppError('internal', 'PASSKEY_CONFIG_INVALID', `Passkey configuration: ${why}`);
}
