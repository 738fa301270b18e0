import { ConfigError } from '@mfa/common/config/app-config';
import { loadEncryptionKeys } from '../../../mfa-service/src/config/mfa-settings';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../mfa-service/src/user-mfa/factors/secret-box';
import { withOpsDatabase } from '../ops-database';
import { readOpsEnv } from '../ops-env';
import { createProgress } from '../progress';
import type { CommandIo } from '../replay/replay-command';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from '../replay/replay-command';
import type { ResealOptions } from './reseal-options';
import { Resealer } from './resealer';

/** `reseal`: count (dry run) or re-seal every secret still under an old key. Returns the exit code. */
export async function runResealCommand(options: ResealOptions, io: CommandIo): Promise<number> {
  const env = readOpsEnv(io.env, { needKafka: false });
  let keys;
  try {
    keys = loadEncryptionKeys(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('MFA_ENCRYPTION_KEY', 'is invalid');
  }
  const box = new SecretBox(keys);
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  return withOpsDatabase(env, err, async (db) => {
    const resealer = new Resealer(db, box, keys.current.id);
    const counts = await resealer.count();
    const byKey = Object.entries(counts.byKey)
      .map(([id, n]) => `${id}: ${n}`)
      .join(', ');
    if (options.dryRun) {
      out(`dry run: ${counts.total} TOTP secrets sealed under old keys${counts.total ? ` (${byKey})` : ''}; current key ${keys.current.id}`);
      out(counts.total === 0 ? 'nothing is left under old keys: they can be removed from MFA_ENCRYPTION_PREVIOUS_KEYS' : 'nothing changed');
      return EXIT_OK;
    }
    const jobName = options.job ?? `reseal-${new Date().toISOString().slice(0, 10)}-${randomBytes(2).toString('hex')}`;
    const previous = await resealer.job(jobName);
    const already = previous && previous.status !== 'completed' && previous.currentKeyId === keys.current.id ? previous.resealed + previous.failed.length : 0;
    err(`job ${jobName}: re-sealing ${counts.total} TOTP secrets under key ${keys.current.id}${counts.total ? ` (${byKey})` : ''}`);
    if (!options.job) err(`(to resume this job if it is interrupted: --job ${jobName})`);
    const progress = createProgress(io.stderr, { label: 'reseal' });
    progress.start(already + counts.total, already);
    const outcome = await resealer.run(jobName, options.batchSize, io.signal, (handled) => progress.update(handled));
    progress.finish();
    if (outcome.interrupted) {
      err(`interrupted after ${outcome.resealed} re-sealed; resume with: npm run ops -- reseal --job ${jobName}`);
      return EXIT_INTERRUPTED;
    }
    out(`job ${jobName}: ${outcome.resealed} re-sealed under key ${keys.current.id}, ${outcome.failed.length} could not be opened`);
    if (outcome.failed.length > 0) {
      out(`users whose secret opens with no configured key (reset their MFA): ${outcome.failed.join(', ')}`);
      return EXIT_FAILED;
    }
    const left = await resealer.count();
    if (left.total > 0) {
      out(`${left.total} secrets were sealed under old keys meanwhile (by an instance without the new key?); run again`);
      return EXIT_FAILED;
    }
    out('nothing is left under old keys: they can be removed from MFA_ENCRYPTION_PREVIOUS_KEYS');
    return EXIT_OK;
  });
}
