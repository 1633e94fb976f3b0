import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '#shared/domain/audit/events.ts';
import { ApiError, apiBase, PeopleApi } from '#web/common/api.ts';
import { LANGUAGES } from '#web/common/i18n.ts';
import { AuditApi } from '#web/dpo/api.ts';
import { EVENT_LABELS, eventOptions, MESSAGES } from '#web/dpo/i18n.ts';

describe("the DPO page's words", () => {
  it('offer every audit event of the shared list in the filter, in words in both languages', () => {
    expect(AUDIT_EVENTS).toContain('referral.closed');
    for (const lang of LANGUAGES) {
      const options = eventOptions(lang);
      expect(options.map((o) => o.value)).toEqual([...AUDIT_EVENTS]);
      for (const event of AUDIT_EVENTS) {
        const label = EVENT_LABELS[lang][event];
        expect(label, `${lang} ${event}`).toMatch(/\S/);
        // Words, not the code.
        expect(options.find((o) => o.value === event)?.label).toBe(label);
        expect(label).not.toContain(event);
      }
      expect(Object.keys(EVENT_LABELS[lang]).sort()).toEqual([...AUDIT_EVENTS].sort());
    }
  });

  it('name every key index.html uses, in both languages; the page starts in German', () => {
    const html = readFileSync('web/dpo/index.html', 'utf8');
    expect(html).toContain('<html lang="de">');
    const keys = [...html.matchAll(/data-i18n(?:-label|-placeholder)?="([^"]+)"/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      expect(MESSAGES.en, key).toHaveProperty([key]);
      expect(MESSAGES.de, key).toHaveProperty([key]);
    }
    // No AWS key is asked for.
    expect(html).not.toMatch(/access-key|secret-access|session-token/i);
  });
});

describe("the people's API client", () => {
  it("sends the ID token as Bearer on the people's prefix, never cookies", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    let token: string | undefined = 'id-token-1';
    const people = new PeopleApi({
      base: 'https://api.example.test/prod',
      prefix: '/people',
      token: () => token,
      fetch: async (url, init) => {
        sent.push({ url: String(url), init: init ?? {} });
        return Response.json({ items: [], nextCursor: null });
      },
    });
    await new AuditApi(people).events({ event: 'referral.closed', limit: 10 });
    const [request] = sent;
    expect(request!.url).toBe(
      'https://api.example.test/prod/people/v1/audit/events?event=referral.closed&limit=10',
    );
    expect((request!.init.headers as Record<string, string>).authorization).toBe('Bearer id-token-1');
    expect(request!.init.credentials).toBe('omit');
    // Signed out: nothing is sent.
    token = undefined;
    await expect(people.json('GET', '/v1/whoami')).rejects.toBeInstanceOf(ApiError);
    expect(sent).toHaveLength(1);
  });

  it('throws the problem document of a refusal, with its type suffix as code', async () => {
    const people = new PeopleApi({
      base: 'https://api.example.test',
      prefix: '/people',
      token: () => 't',
      fetch: async () =>
        Response.json(
          { type: 'https://referral-exchange.example/problems/not-found', title: 'Not found' },
          { status: 404 },
        ),
    });
    const error = await people.json('GET', '/v1/referrals/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).code).toBe('not-found');
  });

  it("finds the API's base from the page's address, stage prefix kept", () => {
    expect(apiBase({ origin: 'https://x.test', pathname: '/prod/office' }, 'office')).toBe(
      'https://x.test/prod',
    );
    expect(apiBase({ origin: 'http://127.0.0.1:3000', pathname: '/dpo/' }, 'dpo')).toBe(
      'http://127.0.0.1:3000',
    );
  });
});
