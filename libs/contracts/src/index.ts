export * from './envelope';
export * from './events';
export * from './idempotent-consumer';
export * from './membership-events';
export * from './topics';
export * from './asyncapi';
