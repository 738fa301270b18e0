import type { INestApplication } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { loadConfig } from '../../apps/mfa-service/src/config/load-config';
import type { Clock } from '@mfa/common';
import { Connection, createConnection } from 'mongoose';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createApp } from '../../apps/mfa-service/src/bootstrap';
import { commandRecordingDir, recordCommands, withCommandMonitoring } from './command-recorder';
import { serviceEnv } from './test-env';
import { signToken, TokenClaims } from './tokens';

export interface TestApp {
  app: INestApplication;
  http: TestAgent;
  db: Connection;
  env: Record<string, string | undefined>;
  token(claims: TokenClaims): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  clock?: Clock;
}

/** The real application (same bootstrap as production) on the real database and broker. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const env = serviceEnv(options.env);
  // Every query shape is recorded for the index-coverage check (command-recorder.ts).
  const monitored = commandRecordingDir() ? { ...env, MONGO_URL: withCommandMonitoring(env.MONGO_URL!) } : env;
  const { app } = await createApp(loadConfig(monitored), { clock: options.clock });
  await app.listen(0, '127.0.0.1');
  const appDb = app.get<Connection>(getConnectionToken());
  const flushCommands = recordCommands(appDb.getClient());
  // The test's own reads and writes go through a connection of their own, so only the service's are judged.
  const db = commandRecordingDir() ? await createConnection(env.MONGO_URL!, { dbName: appDb.name }).asPromise() : appDb;
  return {
    app,
    http: request(app.getHttpServer()),
    db,
    env,
    // A second-factor token is dated by the app's own clock (what the identity service's auth_time would be).
    token: (claims) => signToken(claims, { authTime: options.clock ? Math.floor(options.clock.now().getTime() / 1000) : undefined }),
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await app.close();
      if (db !== appDb) await db.close();
      flushCommands();
    },
  };
}

/** The env of another instance of `t`'s deployment: the same database, Kafka client id and encryption key. */
export function peerEnv(t: TestApp, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { MONGO_DB_NAME: t.env.MONGO_DB_NAME, KAFKA_CLIENT_ID: t.env.KAFKA_CLIENT_ID, MFA_ENCRYPTION_KEY: t.env.MFA_ENCRYPTION_KEY, ...extra };
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  set(date: Date): void {
    this.current = new Date(date);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
