export * from './bearer-auth.guard';
export * from './principal';
export * from './token-verifier';
export * from './jwks-monitor';
