import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '@mfa/common/errors/app-error';

/** An AES-256-GCM ciphertext as stored; every binary field is base64. */
export interface SealedSecret {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface SecretBoxKey {
  id: string;
  key: Buffer;
}

export interface SecretBoxKeys {
  current: SecretBoxKey;
  previous: readonly SecretBoxKey[];
}

/** What the domain depends on to keep factor secrets encrypted at rest. */
export interface SecretCipher {
  seal(plaintext: string, associatedData: string): SealedSecret;
  open(sealed: SealedSecret, associatedData: string): string;
  needsRotation(sealed: SealedSecret): boolean;
  /** Re-encrypts under the current key (same associated data). */
  reseal(sealed: SealedSecret, associatedData: string): SealedSecret;
}

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Associated data for a user's TOTP secret: a ciphertext copied to another user fails to open. */
export const totpSecretAad = (userId: string): string => `totp:${userId}`;

/**
 * AES-256-GCM with a key id on every ciphertext so keys can rotate: new data is sealed with
 * `current`, old data still opens with any `previous` key until it is resealed.
 */
export class SecretBox implements SecretCipher {
  private readonly current: SecretBoxKey;
  private readonly keys = new Map<string, Buffer>();

  constructor(keys: SecretBoxKeys) {
    for (const k of [keys.current, ...keys.previous]) {
      if (!Buffer.isBuffer(k.key) || k.key.length !== KEY_BYTES) {
        throw new AppError('internal', 'SECRET_KEY_INVALID', `Encryption key "${k.id}" must be ${KEY_BYTES} bytes`);
      }
      if (!k.id || this.keys.has(k.id)) {
        throw new AppError('internal', 'SECRET_KEY_INVALID', `Encryption key id "${k.id}" is empty or duplicated`);
      }
      this.keys.set(k.id, Buffer.from(k.key));
    }
    this.current = keys.current;
  }

  seal(plaintext: string, associatedData: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keyFor(this.current.id), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      keyId: this.current.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  open(sealed: SealedSecret, associatedData: string): string {
    const key = this.keyFor(sealed.keyId);
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw decryptFailed();
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw decryptFailed();
    }
  }

  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.current.id;
  }

  reseal(sealed: SealedSecret, associatedData: string): SealedSecret {
    return this.seal(this.open(sealed, associatedData), associatedData);
  }

  private keyFor(keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new AppError('internal', 'SECRET_KEY_UNKNOWN', `No encryption key with id "${keyId}" is configured`);
    return key;
  }
}

const decryptFailed = (): AppError =>
  new AppError('internal', 'SECRET_DECRYPT_FAILED', 'Stored secret could not be decrypted (tampered, wrong key or wrong owner)');
