import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '#shared/domain/audit/events.ts';
import { signRequest } from '#shared/sdk/signed-fetch.ts';
import { AuditApi } from '#web/dpo/api.ts';
import { EVENT_LABELS, eventOptions, LANGUAGES, MESSAGES } from '#web/dpo/i18n.ts';

describe("the DPO page's words", () => {
  it('offer every audit event of the shared list in the filter, labelled in both languages', () => {
    expect(AUDIT_EVENTS).toContain('referral.closed');
    for (const lang of LANGUAGES) {
      const options = eventOptions(lang);
      expect(options.map((o) => o.value)).toEqual([...AUDIT_EVENTS]);
      for (const event of AUDIT_EVENTS) {
        const label = EVENT_LABELS[lang][event];
        expect(label, `${lang} ${event}`).toMatch(/\S/);
        expect(options.find((o) => o.value === event)?.label).toBe(`${label} (${event})`);
      }
      expect(Object.keys(EVENT_LABELS[lang]).sort()).toEqual([...AUDIT_EVENTS].sort());
    }
  });

  it('name every key index.html uses, in both languages', () => {
    const html = readFileSync('web/dpo/index.html', 'utf8');
    const keys = [...html.matchAll(/data-i18n(?:-label)?="([^"]+)"/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      expect(MESSAGES.en, key).toHaveProperty([key]);
      expect(MESSAGES.de, key).toHaveProperty([key]);
    }
  });
});

describe("the DPO page's API client", () => {
  it('signs with the SDK signer and leaves `host` to the browser', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };
    const api = new AuditApi({
      base: 'https://api.example.test/prod',
      region: 'eu-central-1',
      credentials,
      fetch: async (url, init) => {
        sent.push({ url: String(url), init: init ?? {} });
        return Response.json({ items: [], nextCursor: null });
      },
    });
    await api.events({ event: 'referral.closed', limit: 10 });
    const [request] = sent;
    expect(request!.url).toBe('https://api.example.test/prod/v1/audit/events?event=referral.closed&limit=10');
    const headers = request!.init.headers as Record<string, string>;
    expect(headers).not.toHaveProperty('host');
    expect(headers['x-amz-security-token']).toBe('token');
    const expected = await signRequest(
      request!.url,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        signingDate: new Date(
          headers['x-amz-date']!.replace(
            /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
            '$1-$2-$3T$4:$5:$6Z',
          ),
        ),
      },
      credentials,
      'eu-central-1',
    );
    expect(headers.authorization).toBe(expected.authorization);
    expect(request!.init.credentials).toBe('omit');
  });
});
