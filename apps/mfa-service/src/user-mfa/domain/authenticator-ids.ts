/** Ids of the single-instance authenticators (a passkey's id is `pk-` + a hash of its credential id). */
export const TOTP_AUTHENTICATOR_ID = 'totp';
export const EMAIL_AUTHENTICATOR_ID = 'email';
export const BACKUP_CODES_AUTHENTICATOR_ID = 'backup-codes';
