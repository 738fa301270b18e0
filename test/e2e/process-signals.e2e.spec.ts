import { spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { SERVICE_MAIN, requireBuild } from '../harness/service-process';
import { serviceEnv } from '../harness/test-env';

/**
 * The container path: the orchestrator may stop a replica at any instant, also while it starts
 * (here: stuck connecting to a Kafka that accepts connections and never answers).
 */
describe('signals during start-up', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s while still connecting → exits 0 at once, not after the connect timeout', async (signal) => {
    requireBuild();
    const held: Socket[] = [];
    const blackhole = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const port = (blackhole.address() as { port: number }).port;
    try {
      const env = serviceEnv({ KAFKA_BROKERS: `127.0.0.1:${port}`, KAFKA_CONNECT_TIMEOUT_MS: '60000' });
      const child = spawn(process.execPath, [SERVICE_MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // Until the broker was reached: the service is inside start-up (slow on a loaded machine).
      for (let i = 0; i < 1200 && held.length === 0 && child.exitCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held.length).toBeGreaterThan(0);
      const sentAt = Date.now();
      child.kill(signal);
      const code = await exited;
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain(`${signal} during start-up: exiting`);
      // At once: well inside the 60 s connect timeout the process is stuck in.
      expect(Date.now() - sentAt).toBeLessThan(10_000);
    } finally {
      for (const socket of held) socket.destroy();
      blackhole.close();
    }
  });
});
