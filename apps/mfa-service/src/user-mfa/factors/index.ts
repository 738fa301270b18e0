/** Framework-free factor strategies. The software authenticator under ./testing is deliberately not exported. */
export * from './secret-box';
export * from './totp';
export * from './qr-code';
export * from './backup-codes';
export * from './magic-link-token';
export * from './passkey';
export * from './trusted-device-token';
