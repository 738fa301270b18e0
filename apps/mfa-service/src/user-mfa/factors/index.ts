/**
 * Framework-free factor strategies (the crypto adapters), one folder per factor: each holds its
 * adapter, its pure decisions under domain/ (setup, login check) and their specs. The software
 * authenticator the tests use lives in test/harness (production code never imports test code).
 */
export * from './secret-box';
export * from './totp';
export * from './backup-codes';
export * from './magic-link';
export * from './passkey';
export * from './trusted-device';
