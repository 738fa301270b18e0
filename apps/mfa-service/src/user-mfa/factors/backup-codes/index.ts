export * from './backup-codes';
