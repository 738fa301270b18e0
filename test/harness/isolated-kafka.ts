import { execFile } from 'node:child_process';
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { infraScript, readEnvFile, ROOT } = require('./infrastructure');

/**
 * A second, private Kafka broker for tests that stop and restart it (outages), so the
 * shared broker other suites use is never disturbed. Local-process mode only.
 */
export class IsolatedKafka {
  private readonly env: Record<string, string>;

  /** Plaintext port (moved by MFA_TEST_PORT_OFFSET); the controller listens on the next one. */
  readonly port: number;

  /** `extraEnv`: more scripts/infra.sh settings, e.g. a SASL_SSL listener. */
  constructor(name: string, port: number, extraEnv: Record<string, string> = {}) {
    // Several checkouts on one machine each set their own offset so their private brokers never meet.
    port += Number(process.env.MFA_TEST_PORT_OFFSET ?? 0);
    this.port = port;
    this.env = {
      MFA_INFRA_DIR: path.join(ROOT, '.infra', name),
      MFA_INFRA_KAFKA_PORT: String(port),
      MFA_INFRA_KAFKA_CONTROLLER_PORT: String(port + 1),
      MFA_INFRA_FRESH: '1',
      ...extraEnv,
    };
  }

  /** Runs Kafka's kafka-configs tool against this broker's plaintext listener. */
  kafkaConfigs(args: string[]): void {
    infraScript(['kafka-configs', '--bootstrap-server', this.brokers, ...args], this.env);
  }

  get brokers(): string {
    return readEnvFile(path.join(this.env.MFA_INFRA_DIR, 'env')).KAFKA_BROKERS;
  }

  start(options: { fresh?: boolean } = {}): void {
    infraScript(['start', 'kafka'], { ...this.env, MFA_INFRA_FRESH: options.fresh ? '1' : '0' });
  }

  stop(): void {
    infraScript(['stop', 'kafka'], this.env);
  }

  /** Like start()/stop() but without blocking this process (load keeps running meanwhile). */
  startAsync(): Promise<void> {
    return this.script(['start', 'kafka'], { ...this.env, MFA_INFRA_FRESH: '0' });
  }

  stopAsync(): Promise<void> {
    return this.script(['stop', 'kafka'], this.env);
  }

  private script(args: string[], env: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) =>
      execFile('bash', [path.join(ROOT, 'scripts', 'infra.sh'), ...args], { env: { ...process.env, ...env }, timeout: 5 * 60_000 }, (error, _out, stderr) =>
        error ? reject(new Error(`infra.sh ${args.join(' ')} failed: ${stderr}`)) : resolve(),
      ),
    );
  }
}
