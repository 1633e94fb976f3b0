import { generateKeyPairSync } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedIn, signIn } from '#local/sign-in-client.ts';
import { PEOPLE_PATH_PREFIX } from '#shared/http/people.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';

/**
 * People sign in (docs/sign-in.md): the local OpenID provider of `npm start`, the
 * gateway verifying ID tokens under `/people/v1/…` as API Gateway's Cognito authorizer
 * does, and the same principal and 403/404 rules as for programs. Every refusal is
 * problem+json and writes nothing.
 */

const OFFICE_A = 'mbe-caritas-bruchsal';
const OFFICE_B = 'mbe-diakonie-bruchsal';

describe('people sign in with OpenID Connect', () => {
  let platform: RunningPlatform;
  const people = new Map<string, SignedIn>();
  const person = (unit: string) => {
    const p = platform.identityProvider.people.find((x) => x.unit === unit);
    if (!p) throw new Error(`no demo person for ${unit}`);
    return p;
  };
  const as = async (unit: string) => {
    let s = people.get(unit);
    if (!s) {
      s = await signIn(platform.identityProvider, platform.apiUrl, person(unit));
      people.set(unit, s);
    }
    return s;
  };
  /** An operation of the people's tree: `path` is the operation's (`/v1/…`). */
  const call = (token: string, path: string, init: RequestInit = {}) =>
    fetch(`${platform.apiUrl}${PEOPLE_PATH_PREFIX}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
  const expectProblem = async (res: Response, status: number, type?: string) => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    if (type) expect(JSON.parse(text).type).toContain(type);
    return text;
  };

  beforeAll(async () => {
    platform = await startLocalPlatform();
  });
  afterAll(async () => {
    await platform?.interrupt();
  });

  it('a DPO, a counsellor and a clerk act as their organisation unit', async () => {
    for (const unit of ['dpo:lk-karlsruhe', `service:${OFFICE_A}`, 'authority:abh-lk-karlsruhe']) {
      const res = await call((await as(unit)).idToken, '/v1/whoami');
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { principal: string }).principal).toBe(unit);
    }
    const events = await call(
      (await as('dpo:lk-karlsruhe')).idToken,
      '/v1/audit/events?authorityId=abh-lk-karlsruhe',
    );
    expect(events.status, await events.clone().text()).toBe(200);
  });

  it('logs which person acted: a pseudonymous person id in the entry, none for a program', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = (kid: string) => ({
      ...publicKey.export({ format: 'jwk' }),
      kid,
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
    });
    const token = (await as(`service:${OFFICE_A}`)).idToken;
    const byPerson = await call(token, `/v1/services/${OFFICE_A}/keys`, {
      method: 'PUT',
      body: JSON.stringify({ keys: [key('person-key-1')] }),
    });
    expect(byPerson.status, await byPerson.clone().text()).toBeLessThan(300);
    const byProgram = await platform.request(`service:${OFFICE_A}`, `/v1/services/${OFFICE_A}/keys`, {
      method: 'PUT',
      body: { keys: [key('person-key-1'), key('program-key-2')] },
    });
    expect(byProgram.status, await byProgram.clone().text()).toBeLessThan(300);
    const dpo = (await as('dpo:lk-karlsruhe')).idToken;
    const entries = await (async () => {
      for (let i = 0; i < 100; i++) {
        const res = await call(dpo, `/v1/audit/events?serviceOfficeId=${OFFICE_A}&event=keys.published`);
        const page = (await res.json()) as { items: { entry: Record<string, unknown> }[] };
        if (page.items.length >= 2) return page.items.map((i) => i.entry);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the two key publications were not logged');
    })();
    const [first, second] = entries as [Record<string, unknown>, Record<string, unknown>];
    expect(first.actor).toBe(`service:${OFFICE_A}`);
    expect(first.personId).toMatch(/^psn_[0-9a-f]{64}$/);
    expect(second.actor).toBe(`service:${OFFICE_A}`);
    expect(second).not.toHaveProperty('personId');
    // Neither the e-mail nor the provider's subject is in the entry.
    const text = JSON.stringify(first);
    expect(text).not.toContain(person(`service:${OFFICE_A}`).email);
    expect(text).not.toContain(person(`service:${OFFICE_A}`).subject);
  });

  it('refuses a clerk calling DPO operations', async () => {
    await expectProblem(
      await call((await as('authority:abh-lk-karlsruhe')).idToken, '/v1/audit/events'),
      403,
    );
  });

  it("refuses a counsellor of office A acting on office B's keys, and writes nothing", async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = {
      ...publicKey.export({ format: 'jwk' }),
      kid: 'sign-in-test-1',
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
    };
    const token = (await as(`service:${OFFICE_A}`)).idToken;
    await expectProblem(
      await call(token, `/v1/services/${OFFICE_B}/keys`, {
        method: 'PUT',
        body: JSON.stringify({ keys: [jwk] }),
      }),
      404, // as for the program of office A: another office's keys are not found
    );
    const keys = await platform.request(`service:${OFFICE_B}`, `/v1/services/${OFFICE_B}/keys`);
    expect(await keys.text()).not.toContain('sign-in-test-1');
  });

  it('refuses tampered, unsigned, foreign and missing tokens with a clear problem', async () => {
    const good = (await as('dpo:lk-karlsruhe')).idToken;
    const [h, p, sig] = good.split('.') as [string, string, string];
    const flipped = `${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}`;
    expect(
      await expectProblem(await call(`${h}.${p}.${flipped}`, '/v1/audit/events'), 401, 'invalid-token'),
    ).not.toContain(good);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    await expectProblem(await call(none, '/v1/audit/events'), 401, 'invalid-token');
    // A token of another provider (its own key), with this exchange's issuer, audience and a DPO's e-mail.
    const { privateKey } = await generateKeyPair('RS256');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = await new SignJWT(claims)
      // The provider's own key id: the gateway finds the provider's key, and the signature does not match.
      .setProtectedHeader({ alg: 'RS256', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid })
      .sign(privateKey);
    await expectProblem(await call(forged, '/v1/audit/events'), 401, 'invalid-token');
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    await expectProblem(await call(hmac, '/v1/audit/events'), 401, 'invalid-token');
    await expectProblem(await fetch(`${platform.apiUrl}${PEOPLE_PATH_PREFIX}/v1/audit/events`), 401);
  });

  it('takes a sign-in token only under /people and a SigV4 signature only under /v1', async () => {
    const token = (await as('dpo:lk-karlsruhe')).idToken;
    // A valid ID token on the programs' tree.
    const onV1 = await fetch(`${platform.apiUrl}/v1/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await expectProblem(onV1, 401, 'unauthenticated')).not.toContain(token);
    // A valid SigV4 signature on the people's tree (signed for that very path).
    const signed = await platform.request('dpo:lk-karlsruhe', `${PEOPLE_PATH_PREFIX}/v1/whoami`);
    await expectProblem(signed, 401, 'unauthenticated');
    // The programs' tree still serves the program, the people's tree the person.
    expect((await platform.request('dpo:lk-karlsruhe', '/v1/whoami')).status).toBe(200);
    expect((await call(token, '/v1/whoami')).status).toBe(200);
  });

  it('has no people twin of public or operator-only operations', async () => {
    const token = (await as('dpo:lk-karlsruhe')).idToken;
    await expectProblem(await call(token, '/health'), 404, 'not-found');
    await expectProblem(await call(token, '/openapi.json'), 404, 'not-found');
  });

  it('hands the handler the resource and path of the people tree, as API Gateway does', async () => {
    // The handler finds the operation behind the twin and validates its path parameter as for programs.
    const token = (await as(`service:${OFFICE_A}`)).idToken;
    const text = await expectProblem(
      await call(token, '/v1/referrals/not-a-referral-id'),
      400,
      'invalid-request',
    );
    expect(JSON.parse(text).errors).toEqual([expect.objectContaining({ field: 'path.id' })]);
  });

  it('refuses the tokens of a session after sign-out', async () => {
    const session = await signIn(platform.identityProvider, platform.apiUrl, person('dpo:lk-karlsruhe'));
    expect((await call(session.idToken, '/v1/whoami')).status).toBe(200);
    await session.signOut();
    await expectProblem(await call(session.idToken, '/v1/whoami'), 401, 'session-ended');
    const renewed = await fetch(`${platform.identityProvider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: session.refreshToken ?? '',
        client_id: platform.identityProvider.clientId,
      }).toString(),
    });
    expect(renewed.status).toBe(400);
  });

  it('renews silently with the refresh token while the session lasts', async () => {
    const session = await signIn(platform.identityProvider, platform.apiUrl, person(`service:${OFFICE_A}`));
    expect(session.refreshToken).toBeTruthy();
    const renewed = await fetch(`${platform.identityProvider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: session.refreshToken!,
        client_id: platform.identityProvider.clientId,
      }).toString(),
    });
    const body = (await renewed.json()) as { id_token?: string };
    expect(renewed.status).toBe(200);
    expect((await call(body.id_token!, '/v1/whoami')).status).toBe(200);
  });

  it('never logs a token, password or staff e-mail', () => {
    // What was logged while people signed in and were refused: after the start banner, which
    // prints the demo people's passwords on purpose, as it prints the demo credentials.
    const out = platform.output().split('Press Ctrl-C to stop.')[1] ?? '';
    for (const p of platform.identityProvider.people) {
      expect(out).not.toContain(p.password);
    }
    for (const s of people.values()) expect(out).not.toContain(s.idToken);
    expect(out).not.toMatch(/@demo\.invalid/);
  });
});
