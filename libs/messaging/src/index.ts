export * from './kafka-client';
export * from './kafka-consumer';
export * from './kafka-security';
