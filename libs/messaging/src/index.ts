export * from './kafka-client';
