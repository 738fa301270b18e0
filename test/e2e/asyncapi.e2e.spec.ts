import { Parser } from '@asyncapi/parser';
import { EVENT_CATALOGUE, MEMBERSHIP_EVENT_FIELDS, PUBLISHED_TOPICS, Topics } from '@mfa/contracts';
import { startTestApp, TestApp } from '../harness/test-app';

/** The AsyncAPI document generated from libs/contracts, as served, checked by the AsyncAPI project's own parser. */
describe('AsyncAPI 3.0 document (/docs/asyncapi.json)', () => {
  let t: TestApp;
  let document: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http.get('/docs/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    document = res.body as Record<string, unknown>;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('validates with @asyncapi/parser: no errors, no warnings', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const problems = diagnostics.map((d) => `${['error', 'warning', 'info', 'hint'][d.severity]} ${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(problems.filter((p) => p.startsWith('error') || p.startsWith('warning'))).toEqual([]);
    expect(parsed).toBeDefined();
    expect(parsed!.version()).toBe('3.0.0');

    // The parser does refuse a broken document (so the check above can fail).
    const broken = JSON.parse(JSON.stringify(document)) as { operations: Record<string, { channel: { $ref: string } }> };
    broken.operations.publishUserMfa.channel.$ref = '#/channels/nowhere';
    const { diagnostics: refused } = await new Parser().parse(JSON.stringify(broken));
    expect(refused.some((d) => d.severity === 0)).toBe(true);
  });

  it('describes the three published topics and the consumed one, every event type with its CloudEvents headers and payload schema', async () => {
    const { document: parsed } = await new Parser().parse(JSON.stringify(document));
    const channels = parsed!.channels().all();
    expect(channels.map((c) => c.address()).sort()).toEqual([...PUBLISHED_TOPICS, Topics.membership].sort());
    const sends = parsed!
      .operations()
      .filterBySend()
      .flatMap((o) =>
        o
          .channels()
          .all()
          .map((c) => c.address()),
      );
    expect(sends.sort()).toEqual([...PUBLISHED_TOPICS].sort());
    expect(
      parsed!
        .operations()
        .filterByReceive()
        .flatMap((o) =>
          o
            .channels()
            .all()
            .map((c) => c.address()),
        ),
    ).toEqual([Topics.membership]);

    const topicOf = new Map<string, string>();
    const messages = new Map(
      channels.flatMap((c) =>
        c
          .messages()
          .all()
          .map((m) => [m.name()!, m] as const),
      ),
    );
    for (const c of channels) for (const m of c.messages().all()) topicOf.set(m.name()!, c.address()!);
    for (const [type, definition] of Object.entries(EVENT_CATALOGUE)) {
      const m = messages.get(type);
      expect({ type, found: m !== undefined }).toEqual({ type, found: true });
      expect(topicOf.get(type)).toBe(definition.topic);
      expect(Object.keys(m!.payload()!.properties() ?? {}).sort()).toEqual(Object.keys(definition.fields).sort());
      expect(JSON.stringify(m!.headers()!.json())).toContain('ce_sequence');
    }
    for (const type of Object.keys(MEMBERSHIP_EVENT_FIELDS)) expect(topicOf.get(type)).toBe(Topics.membership);
  });
});
