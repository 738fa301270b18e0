/** Framework-free factor strategies (the software authenticator the tests use lives in test/harness). */
export * from './secret-box';
export * from './totp';
export * from './qr-code';
export * from './backup-codes';
export * from './magic-link-token';
export * from './passkey';
export * from './trusted-device-token';
