import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/**
 * A software WebAuthn authenticator for tests: real P-256 keys, real CBOR, real signatures,
 * `none` attestation. Knobs exist only to produce deliberately bad responses.
 */

type CborValue = Parameters<typeof isoCBOR.encode>[0];

export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_BE = 0x08;
export const FLAG_BS = 0x10;
export const FLAG_AT = 0x40;

export interface SoftwareAuthenticatorOptions {
  rpId: string;
  origin: string;
  /** 16 bytes; zeroes (as most platform authenticators report under `none`) by default. */
  aaguid?: Buffer;
  backupEligible?: boolean;
  backedUp?: boolean;
  transports?: string[];
}

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  /** clientDataJSON.type; defaults to webauthn.create / webauthn.get. */
  type?: string;
  /** Signature counter to report; registration defaults to 0, assertions to an incrementing value. */
  counter?: number;
  /** Flags byte without AT (added for registration); defaults to UP|UV plus BE/BS from options. */
  flags?: number;
  /** Flip a bit of the signature so it no longer verifies (assertions only). */
  corruptSignature?: boolean;
}

export interface SoftwareCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  counter: number;
}

export class SoftwareAuthenticator {
  readonly credentials: SoftwareCredential[] = [];
  private readonly aaguid: Buffer;

  constructor(private readonly options: SoftwareAuthenticatorOptions) {
    this.aaguid = options.aaguid ?? Buffer.alloc(16);
    if (this.aaguid.length !== 16) throw new Error('aaguid must be 16 bytes');
  }

  /** Id of the most recently created credential, base64url. */
  get credentialId(): string {
    return this.latest().id.toString('base64url');
  }

  /** navigator.credentials.create(): makes a new key pair and returns its attestation. */
  register(challenge: string, overrides: CeremonyOverrides = {}): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credential: SoftwareCredential = { id: randomBytes(32), privateKey, publicKey, counter: overrides.counter ?? 0 };
    this.credentials.push(credential);

    const cosePublicKey = isoCBOR.encode(coseKey(publicKey));
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.authDataHeader(overrides, FLAG_AT, credential.counter),
      this.aaguid,
      idLength,
      credential.id,
      Buffer.from(cosePublicKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, CborValue>()],
        ['authData', authData],
      ]),
    );
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: this.clientData(overrides.type ?? 'webauthn.create', challenge, overrides),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: (this.options.transports ?? ['internal']) as RegistrationResponseJSON['response']['transports'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get(): signs authData || SHA-256(clientDataJSON) with the credential's key. */
  assert(challenge: string, overrides: CeremonyOverrides & { credentialId?: string } = {}): AuthenticationResponseJSON {
    const credential = overrides.credentialId ? this.credentials.find((c) => c.id.toString('base64url') === overrides.credentialId) : this.latest();
    if (!credential) throw new Error('unknown credential');
    credential.counter = overrides.counter ?? credential.counter + 1;

    const authData = this.authDataHeader(overrides, 0, credential.counter);
    const clientDataJSON = this.clientData(overrides.type ?? 'webauthn.get', challenge, overrides);
    const clientDataHash = createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest();
    const signature = sign('sha256', Buffer.concat([authData, clientDataHash]), credential.privateKey); // DER
    if (overrides.corruptSignature) signature[signature.length - 1] ^= 0x01;
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: undefined,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private latest(): SoftwareCredential {
    const credential = this.credentials.at(-1);
    if (!credential) throw new Error('no credential registered yet');
    return credential;
  }

  private authDataHeader(overrides: CeremonyOverrides, extraFlags: number, counter: number): Buffer {
    const rpIdHash = createHash('sha256')
      .update(overrides.rpId ?? this.options.rpId, 'utf8')
      .digest();
    const defaultFlags = FLAG_UP | FLAG_UV | (this.options.backupEligible ? FLAG_BE : 0) | (this.options.backedUp ? FLAG_BS : 0);
    const flags = Buffer.from([(overrides.flags ?? defaultFlags) | extraFlags]);
    const signCount = Buffer.alloc(4);
    signCount.writeUInt32BE(counter);
    return Buffer.concat([rpIdHash, flags, signCount]);
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): string {
    const json = JSON.stringify({ type, challenge, origin: overrides.origin ?? this.options.origin, crossOrigin: false });
    return Buffer.from(json, 'utf8').toString('base64url');
  }
}

/** COSE_Key for an EC2 P-256 ES256 key (RFC 9053): kty 2, alg -7, crv 1, x, y. */
function coseKey(publicKey: KeyObject): Map<number, CborValue> {
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new Error('not an EC public key');
  return new Map<number, CborValue>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x, 'base64url')],
    [-3, Buffer.from(jwk.y, 'base64url')],
  ]);
}
