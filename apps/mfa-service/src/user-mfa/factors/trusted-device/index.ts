export * from './trusted-device-token';
