export * from './magic-link-token';
