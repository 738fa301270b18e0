export * from './aggregate-store';
export * from './stored-event';
