import { UsageError } from '../replay/replay-options';

export const RESEAL_USAGE = `Usage: npm run ops -- reseal [options]
       node dist/apps/mfa-ops/src/main.js reseal [options]

Re-seals every stored factor secret (TOTP) still encrypted under a key other than
MFA_ENCRYPTION_KEY_ID, so that key can be removed from MFA_ENCRYPTION_PREVIOUS_KEYS.
Each secret is opened with the key it names and sealed again under the current key, in one
version-guarded write per user (a concurrent request simply wins and the user is retried).
Run it after the service runs with the new key (secrets are also re-sealed on use).

Options:
  --dry-run               count what is still under old keys (by key id); change nothing
  --job <name>            name of a resumable job: progress is checkpointed after each batch
                          and a re-run with the same name continues after it
  --batch-size <n>        users per batch and checkpoint (1-10000, default 500)
  -h, --help              show this help

Environment:
  MONGO_URL (required), MONGO_DB_NAME, MONGO_TIMEOUT_MS,
  MFA_ENCRYPTION_KEY, MFA_ENCRYPTION_KEY_ID, MFA_ENCRYPTION_PREVIOUS_KEYS (as the service).

Exit codes: 0 done (nothing left under old keys), 1 failure or secrets that could not be
            re-sealed (listed), 2 usage or configuration error, 130 interrupted (checkpoint kept).
`;

export interface ResealOptions {
  dryRun: boolean;
  job?: string;
  batchSize: number;
}

export type ResealCommandLine = { kind: 'help' } | { kind: 'reseal'; options: ResealOptions };

/** `argv` without the leading `reseal`. */
export function parseResealCommandLine(argv: string[]): ResealCommandLine {
  const options: ResealOptions = { dryRun: false, batchSize: 500 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return value;
    };
    switch (arg) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--dry-run':
        options.dryRun = true;
        break;
      case '--job': {
        const job = next();
        if (!/^[A-Za-z0-9._-]{1,100}$/.test(job)) throw new UsageError('--job must be 1-100 characters of letters, digits and ._-');
        options.job = job;
        break;
      }
      case '--batch-size': {
        const raw = next();
        if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) throw new UsageError('--batch-size must be an integer from 1 to 10000');
        options.batchSize = Number(raw);
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { kind: 'reseal', options };
}
