import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * The image cannot be built here (no Docker engine), so what issue 12 asks of it is checked on the
 * Dockerfile itself, and its HEALTHCHECK command is run for real against a stand-in server.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const runtime = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));
const healthcheck = runtime.find((line) => line.startsWith('HEALTHCHECK '))!;
const probeScript = (JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[]).at(-1)!;

function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['-e', probeScript], { env: { PATH: process.env.PATH, PORT: String(port) }, timeout: 10_000 });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

async function serve(status: (url: string) => number): Promise<Server> {
  const server = createServer((req, res) => res.writeHead(status(req.url ?? '')).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('the container image (Dockerfile)', () => {
  it('runs Node 24 LTS (bookworm-slim), as a non-root user, under tini', () => {
    expect(instructions).toContain('ARG NODE_IMAGE=node:24-bookworm-slim');
    expect(runtime[0]).toBe('FROM ${NODE_IMAGE} AS runtime');
    const user = runtime.find((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (0|root)\b/);
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(runtime).toContain('CMD ["node", "dist/apps/mfa-service/src/main.js"]');
  });

  it('ships no source maps, specs or test code, and never sends secrets or local state to the daemon', () => {
    const build = instructions.find((line) => line.startsWith('RUN npx tsc -p tsconfig.build.json'))!;
    expect(build).toContain('--sourceMap false');
    expect(build).toMatch(/! find dist .*\*\.map.*\*\.spec\.js.*\/test\//);
    for (const entry of ['test', '**/*.spec.ts', '.env', '.env.*', '.git', '.infra', '.cache', 'node_modules']) expect(dockerignore).toContain(entry);
    expect(runtime.filter((line) => line.startsWith('COPY ')).join('\n')).not.toMatch(/\b(test|\.env)\b/);
  });

  it('HEALTHCHECK probes liveness: healthy while /health/live answers, whatever readiness says', async () => {
    const live = await serve((url) => (url === '/health/live' ? 200 : 503)); // e.g. Kafka or the database down
    const dead = await serve(() => 503);
    try {
      expect(await probe((live.address() as AddressInfo).port)).toBe(0);
      expect(await probe((dead.address() as AddressInfo).port)).toBe(1);
    } finally {
      live.close();
      dead.close();
    }
    const closed = await serve(() => 200);
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await probe(closedPort)).toBe(1); // nothing listening
  });
});
