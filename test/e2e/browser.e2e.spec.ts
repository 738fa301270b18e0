import { Topics } from '@mfa/contracts';
import { execFileSync } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { KafkaCollector } from '../harness/kafka-collector';
import { startTestApp, TestApp } from '../harness/test-app';
import { requireInfra, uniqueName } from '../harness/test-env';
import { STEPPED_UP } from '../harness/tokens';
import { OutboxRelay } from '../../apps/mfa-service/src/outbox/outbox-relay';
import { USER_MFA_COLLECTION } from '../../apps/mfa-service/src/user-mfa/infra/user-mfa.document';

const ROOT = path.resolve(__dirname, '..', '..');

/** A page on its own origin (another port of 127.0.0.1), standing for a browser app. */
async function originServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>app</title><p>app</p>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface FetchOutcome {
  status?: number;
  requestId?: string | null;
  body?: unknown;
  blocked?: string;
}

/**
 * A real browser: Debian's Chromium (scripts/ensure-chromium.sh, never a downloaded one) driven by
 * playwright-core, calling the service from other origins and clicking a magic link.
 */
describe('in a real browser (Chromium): CORS and the magic link a person clicks', () => {
  let t: TestApp;
  let kafka: KafkaCollector;
  let browser: Browser;
  let api: string;
  let allowed: { server: Server; origin: string };
  let refused: { server: Server; origin: string };

  beforeAll(async () => {
    const executablePath = execFileSync('bash', [path.join(ROOT, 'scripts/ensure-chromium.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    [allowed, refused] = await Promise.all([originServer(), originServer()]);
    kafka = await KafkaCollector.start(requireInfra().kafkaBrokers, [Topics.delivery]);
    t = await startTestApp({ env: { CORS_ALLOWED_ORIGINS: allowed.origin } });
    api = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await kafka?.stop();
    await Promise.all([allowed, refused].filter(Boolean).map(({ server }) => new Promise((resolve) => server.close(resolve))));
  });

  const bearer = async (sub: string) => `Bearer ${await t.token({ sub, email: `${sub}@example.com`, orgRole: 0, amr: STEPPED_UP })}`;
  const doc = (userId: string) => t.db.collection(USER_MFA_COLLECTION).findOne({ _id: userId as never });

  /** fetch() from a page of `origin`: the browser enforces CORS, so a refusal surfaces as a TypeError. */
  async function fetchFrom(origin: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<FetchOutcome> {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      return await page.evaluate(
        async ({ url, init }) => {
          try {
            const res = await fetch(url, init);
            return { status: res.status, requestId: res.headers.get('x-request-id'), body: await res.json() };
          } catch (error) {
            return { blocked: String(error) };
          }
        },
        { url, init },
      );
    } finally {
      await page.close();
    }
  }

  it('an allowed origin calls the API with a bearer token (preflighted) and reads the exposed x-request-id', async () => {
    const userId = uniqueName('cors-ok');
    const status = await fetchFrom(allowed.origin, `${api}/mfa/status`, { headers: { Authorization: await bearer(userId) } });
    expect(status).toMatchObject({ status: 200, body: { success: true, data: { isEnabled: false } } });
    expect(status.requestId).toEqual(expect.any(String));

    const setup = await fetchFrom(allowed.origin, `${api}/mfa/setup`, {
      method: 'POST',
      headers: { Authorization: await bearer(userId), 'Content-Type': 'application/json' },
      body: JSON.stringify({ mfaType: 'GOOGLE_AUTH' }),
    });
    expect(setup).toMatchObject({ status: 200, body: { success: true, data: { secret: expect.any(String) } } });
  });

  it('another origin is refused by the browser, and its preflighted POST never reaches the service', async () => {
    const userId = uniqueName('cors-refused');
    const status = await fetchFrom(refused.origin, `${api}/mfa/status`, { headers: { Authorization: await bearer(userId) } });
    expect(status.blocked).toMatch(/TypeError/);

    const setup = await fetchFrom(refused.origin, `${api}/mfa/setup`, {
      method: 'POST',
      headers: { Authorization: await bearer(userId), 'Content-Type': 'application/json' },
      body: JSON.stringify({ mfaType: 'GOOGLE_AUTH' }),
    });
    expect(setup.blocked).toMatch(/TypeError/);
    expect(await doc(userId)).toBeNull();
  });

  it('a clicked magic link: opening it (and a scanner’s GET) leaves the token usable; the one button activates MAGIC_LINK', async () => {
    const userId = uniqueName('click');
    const setup = await t.http
      .post('/mfa/setup')
      .set('Authorization', await bearer(userId))
      .send({ mfaType: 'MAGIC_LINK' });
    expect(setup.status).toBe(200);
    await kafka.waitFor(() => kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested').length > 0, 20_000, 'MagicLinkRequested');
    const link = new URL((kafka.events((e) => e.subject === userId && e.type === 'MagicLinkRequested')[0].data as { link: string }).link);
    const clicked = `${api}${link.pathname}${link.search}`;
    await t.app.get(OutboxRelay).whenIdle();
    const before = await doc(userId);

    // What a mail scanner does: a plain GET.
    expect((await fetch(clicked)).status).toBe(200);
    const page = await browser.newPage();
    try {
      await page.goto(clicked);
      expect(await page.locator('button').count()).toBe(1);
      expect(await doc(userId)).toEqual(before);

      await page.locator('button').click();
      await page.locator('#status[data-outcome]').waitFor();
      expect(await page.locator('#status').getAttribute('data-outcome')).toBe('activated');
      expect(await page.locator('#status').textContent()).toBe('Magic link MFA activated successfully');
    } finally {
      await page.close();
    }
    expect(await doc(userId)).toMatchObject({ enabledMethods: ['MAGIC_LINK'], primaryMethod: 'MAGIC_LINK' });

    // Opening the used link again: nothing to click.
    const again = await browser.newPage();
    try {
      await again.goto(clicked);
      expect(await again.locator('button').count()).toBe(0);
      expect(await again.locator('h1').textContent()).toBe('This link cannot be used');
    } finally {
      await again.close();
    }
  });
});
