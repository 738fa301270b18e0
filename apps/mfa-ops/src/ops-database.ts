import { ConfigError } from '@mfa/common/config/app-config';
import { Db, MongoClient } from 'mongodb';
import type { OpsEnv } from './ops-env';

/** The exit code of a command that could not do its work (database unreachable, nothing found, …). */
export const EXIT_FAILED = 1;

/** Never print a password that may be in a connection string. */
export const redactUrl = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

/**
 * Runs `work` with the database of MONGO_URL / MONGO_DB_NAME and closes the client afterwards,
 * whatever happens. A malformed URL is a ConfigError (exit 2, like every bad variable); a database
 * that cannot be reached is reported on stderr (password redacted) and gives EXIT_FAILED.
 */
export async function withOpsDatabase(env: OpsEnv, err: (line: string) => void, work: (db: Db) => Promise<number>): Promise<number> {
  let mongo: MongoClient;
  try {
    mongo = new MongoClient(env.mongoUrl, { serverSelectionTimeoutMS: env.mongoTimeoutMs, appName: 'mfa-ops' });
  } catch (error) {
    const reason = (error as Error).message.split(env.mongoUrl).join(redactUrl(env.mongoUrl));
    throw new ConfigError('MONGO_URL', `is not a valid connection string: ${reason}`);
  }
  try {
    try {
      await mongo.connect();
    } catch (error) {
      err(`error: cannot reach MongoDB at ${redactUrl(env.mongoUrl)}: ${(error as Error).message}`);
      return EXIT_FAILED;
    }
    return await work(mongo.db(env.mongoDbName));
  } finally {
    await mongo.close().catch(() => undefined);
  }
}
