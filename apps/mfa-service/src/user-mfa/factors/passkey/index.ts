export * from './passkey';
