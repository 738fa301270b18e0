export * from './aggregate-store';
export * from './stored-event';
export * from './keyed-queue';
export * from './stamp-event';
export * from './duplicate-key';
export * from './operation-timeouts';
export * from './indexes';
export * from './index-coverage';
