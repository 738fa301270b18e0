import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock, startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { base32Decode, hotp, totpStepAt } from '../../apps/mfa-service/src/user-mfa/factors/totp';
import { RESEAL_JOBS_COLLECTION } from '../../apps/mfa-ops/src/reseal/resealer';
import { SecretBox, totpSecretAad } from '../../apps/mfa-service/src/user-mfa/factors/secret-box';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'mfa-ops', 'src', 'main.js');
const STEP_MS = 30_000;

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Requirement 40 and the README's key rotation walk-through: rotate MFA_ENCRYPTION_KEY, serve
 * with the old key as a previous key (secrets re-sealed on use), re-seal the rest with
 * `mfa-ops reseal`, then retire the old key: every factor keeps working, backup codes included
 * (their pepper is a setting of its own).
 */
describe('key rotation: rotate, serve, re-seal, retire the old key (real database, ops CLI)', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  const pepper = randomBytes(32).toString('base64');
  const dbName = uniqueName('mfa_rotation');
  const clock = new ManualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000));
  const common = { MONGO_DB_NAME: dbName, MFA_BACKUP_CODE_PEPPER: pepper };
  const opsEnv = { MONGO_URL: requireInfra().mongoUrl, MONGO_DB_NAME: dbName };
  const apps: TestApp[] = [];

  const start = async (env: Record<string, string>) => {
    const app = await startTestApp({ clock, env: { ...common, ...env } });
    apps.push(app);
    return app;
  };
  /** Stops serving without dropping the database (the next "deployment" uses it). */
  const stop = (app: TestApp) => app.app.close();
  const auth = (t: TestApp, sub: string) => t.token({ sub, email: `${sub}@example.com`, amr: STEPPED_UP }).then((jwt) => `Bearer ${jwt}`);
  const post = async (t: TestApp, sub: string, path: string, body: object) =>
    t.http
      .post(path)
      .set('Authorization', await auth(t, sub))
      .send(body);
  const doc = (t: TestApp, userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });
  const code = (secret: string) => hotp(base32Decode(secret), totpStepAt(clock.now()));

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before this test (bin/test does)`);
  });
  afterAll(async () => {
    const last = apps[apps.length - 1];
    await last?.db.dropDatabase().catch(() => undefined);
    for (const app of apps) await stop(app).catch(() => undefined);
  });

  it('every factor works after the old key is removed; nothing is left under it', async () => {
    // 1. Serving with k1: three users with an authenticator app (and backup codes).
    const v1 = await start({ MFA_ENCRYPTION_KEY: k1, MFA_ENCRYPTION_KEY_ID: 'k1' });
    const users = ['alice', 'bob', 'carol'].map((name) => uniqueName(name));
    const secrets: Record<string, string> = {};
    const backupCodes: Record<string, string[]> = {};
    for (const user of users) {
      const setup = await post(v1, user, '/mfa/setup', { mfaType: 'GOOGLE_AUTH' });
      expect(setup.status).toBe(200);
      secrets[user] = setup.body.data.secret;
      backupCodes[user] = setup.body.data.backupCodes;
      expect((await post(v1, user, '/mfa/verify-setup', { mfaType: 'GOOGLE_AUTH', code: code(secrets[user]) })).status).toBe(200);
      expect((await doc(v1, user))?.totp.secret.keyId).toBe('k1');
    }
    const [alice, bob, carol] = users;
    // A backup code issued before 120-bit codes (8 characters, HMAC with the same pepper): still honoured.
    const legacy = 'ab3d-x9z2';
    const legacyHash = createHmac('sha256', Buffer.from(pepper, 'base64')).update('ab3dx9z2').digest('hex');
    await v1.db.collection(USER_MFA_COLLECTION).updateOne({ _id: bob as never }, { $push: { backupCodes: { hash: legacyHash, usedAt: null } } as never });
    await stop(v1);
    clock.advance(STEP_MS);

    // 2. Rotate: k2 seals, k1 still opens. Using a factor re-seals its secret under k2.
    const v2 = await start({ MFA_ENCRYPTION_KEY: k2, MFA_ENCRYPTION_KEY_ID: 'k2', MFA_ENCRYPTION_PREVIOUS_KEYS: `k1:${k1}` });
    expect((await post(v2, alice, '/mfa/verify-login', { mfaType: 'GOOGLE_AUTH', code: code(secrets[alice]) })).status).toBe(200);
    expect((await doc(v2, alice))?.totp.secret.keyId).toBe('k2');
    expect((await post(v2, bob, '/mfa/verify-login', { mfaType: 'BACKUP_CODE', code: backupCodes[bob][0] })).status).toBe(200);
    expect((await post(v2, bob, '/mfa/verify-login', { mfaType: 'BACKUP_CODE', code: legacy.toUpperCase() })).status).toBe(200);
    expect((await post(v2, bob, '/mfa/verify-login', { mfaType: 'BACKUP_CODE', code: legacy })).status).toBe(400); // single use
    expect((await doc(v2, bob))?.totp.secret.keyId).toBe('k2');
    const untouched = await doc(v2, carol);
    expect(untouched?.totp.secret.keyId).toBe('k1');

    // 3. Re-seal the rest: a dry run counts and changes nothing; the job re-seals and checkpoints.
    const keys = { ...opsEnv, MFA_ENCRYPTION_KEY: k2, MFA_ENCRYPTION_KEY_ID: 'k2', MFA_ENCRYPTION_PREVIOUS_KEYS: `k1:${k1}` };
    const dry = await runCli(['reseal', '--dry-run'], keys);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toContain('dry run: 1 TOTP secrets sealed under old keys (k1: 1); current key k2');
    expect(await doc(v2, carol)).toEqual(untouched);
    const run = await runCli(['reseal', '--job', 'rotate-k1', '--batch-size', '1'], keys);
    expect(run.stderr).toContain('job rotate-k1: re-sealing 1 TOTP secrets under key k2 (k1: 1)');
    expect(run.stdout).toContain('job rotate-k1: 1 re-sealed under key k2, 0 could not be opened');
    expect(run.stdout).toContain('nothing is left under old keys');
    expect(run.code).toBe(0);
    const resealed = await doc(v2, carol);
    expect(resealed?.totp.secret.keyId).toBe('k2');
    expect(resealed?.version).toBe((untouched?.version as number) + 1);
    expect(await v2.db.collection(RESEAL_JOBS_COLLECTION).findOne({ _id: 'rotate-k1' as never })).toMatchObject({
      status: 'completed',
      resealed: 1,
      failed: [],
    });
    // Nothing needs k1 any more: without it, the dry run finds nothing.
    const retiredCheck = await runCli(['reseal', '--dry-run'], { ...opsEnv, MFA_ENCRYPTION_KEY: k2, MFA_ENCRYPTION_KEY_ID: 'k2' });
    expect(retiredCheck.stdout).toContain('dry run: 0 TOTP secrets sealed under old keys; current key k2');
    await stop(v2);
    clock.advance(STEP_MS);

    // 4. Retire k1: only k2 is configured, and every user's factors still verify.
    const v3 = await start({ MFA_ENCRYPTION_KEY: k2, MFA_ENCRYPTION_KEY_ID: 'k2' });
    for (const user of users) {
      expect((await post(v3, user, '/mfa/verify-login', { mfaType: 'GOOGLE_AUTH', code: code(secrets[user]) })).status).toBe(200);
    }
    expect((await post(v3, carol, '/mfa/verify-login', { mfaType: 'BACKUP_CODE', code: backupCodes[carol][3] })).status).toBe(200);
    const raw = JSON.stringify(await v3.db.collection(USER_MFA_COLLECTION).find({}).toArray());
    expect(raw).not.toContain('"keyId":"k1"');
  });

  it('reseal: usage errors exit 2; a secret no configured key opens is listed and exits 1', async () => {
    expect((await runCli(['reseal', '--bogus'], opsEnv)).code).toBe(2);
    expect((await runCli(['reseal', '--batch-size', '0'], opsEnv)).code).toBe(2);
    expect((await runCli(['reseal', '--dry-run'], { ...opsEnv, MFA_ENCRYPTION_KEY: 'short' })).code).toBe(2);
    const t = apps[apps.length - 1];
    const orphan = uniqueName('orphan');
    const sealed = {
      keyId: 'k0',
      iv: randomBytes(12).toString('base64'),
      tag: randomBytes(16).toString('base64'),
      ciphertext: randomBytes(20).toString('base64'),
    };
    await t.db.collection(USER_MFA_COLLECTION).insertOne({ _id: orphan as never, version: 1, totp: { secret: sealed } });
    const run = await runCli(['reseal', '--job', 'orphans'], { ...opsEnv, MFA_ENCRYPTION_KEY: k2, MFA_ENCRYPTION_KEY_ID: 'k2' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`reset their MFA): ${orphan}`);
    expect((await doc(t, orphan))?.totp.secret).toEqual(sealed);
    await t.db.collection(USER_MFA_COLLECTION).deleteOne({ _id: orphan as never });
  });

  it('reseal --job resumes after its checkpoint: users before it are not visited again, the count carries on', async () => {
    const t = apps[apps.length - 1];
    const box = new SecretBox({ current: { id: 'k1', key: Buffer.from(k1, 'base64') }, previous: [] });
    const prefix = uniqueName('resume');
    const ids = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const id of ids) {
      await t.db.collection(USER_MFA_COLLECTION).insertOne({ _id: id as never, version: 3, totp: { secret: box.seal('JBSWY3DPEHPK3PXP', totpSecretAad(id)) } });
    }
    // An earlier run re-sealed up to `-a` (inclusive) and was interrupted.
    await t.db.collection(RESEAL_JOBS_COLLECTION).insertOne({
      _id: 'resume-me' as never,
      after: ids[0],
      resealed: 1,
      failed: [],
      status: 'interrupted',
      currentKeyId: 'k2',
      updatedAt: new Date(),
    });
    const run = await runCli(['reseal', '--job', 'resume-me'], {
      ...opsEnv,
      MFA_ENCRYPTION_KEY: k2,
      MFA_ENCRYPTION_KEY_ID: 'k2',
      MFA_ENCRYPTION_PREVIOUS_KEYS: `k1:${k1}`,
    });
    expect(run.stdout).toContain('job resume-me: 3 re-sealed under key k2, 0 could not be opened');
    const keyIds = await Promise.all(ids.map(async (id) => (await doc(t, id))?.totp.secret.keyId));
    // `-a` is before the checkpoint: not visited again (a real interrupted run had already done it).
    expect(keyIds).toEqual(['k1', 'k2', 'k2']);
    // So the final check finds it and says to run again, and exits 1 rather than claiming k1 is free.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('1 secrets were sealed under old keys meanwhile');
    expect(await t.db.collection(RESEAL_JOBS_COLLECTION).findOne({ _id: 'resume-me' as never })).toMatchObject({ status: 'completed', resealed: 3 });
    // A new job picks it up; then nothing is left.
    const again = await runCli(['reseal', '--job', 'resume-me-2'], {
      ...opsEnv,
      MFA_ENCRYPTION_KEY: k2,
      MFA_ENCRYPTION_KEY_ID: 'k2',
      MFA_ENCRYPTION_PREVIOUS_KEYS: `k1:${k1}`,
    });
    expect(again.code).toBe(0);
    expect((await doc(t, ids[0]))?.totp.secret.keyId).toBe('k2');
  });
});
