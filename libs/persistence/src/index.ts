export * from './aggregate-store';
export * from './stored-event';
export * from './keyed-queue';
export * from './stamp-event';
export * from './duplicate-key';
export * from './topic-sequences';
