import { createHash, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  getConsent,
  getConsentForm,
  getConsentReceipt,
  listConsentForms,
  recordConsent,
  withdrawConsent,
} from '#shared/api/consents.ts';
import { AuditEntryDraftSchema } from '#shared/domain/audit/entry.ts';
import { ConsentView } from '#shared/schemas/consent.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
let handler: ProxyHandler;

const RECORDER = 'authority:abh-lk-karlsruhe';
const OTHER_AUTHORITY = 'authority:abh-bruchsal';
const SERVICE_ID = 'mbe-caritas-bruchsal';
const SERVICE = `service:${SERVICE_ID}`;
const DPO = 'dpo:lk-karlsruhe';
const OPERATOR = 'operator';

const records = () => `rex-${emu.stage}-records`;
const audit = () => `rex-${emu.stage}-audit`;

const azrNumber = () => String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100, 999));
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

/** A valid body for a new person (a fresh AZR number), signed an hour ago. */
function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: { azrNumber: azrNumber(), dateOfBirth: '1990-05-17' },
    givenBy: { role: 'subject' },
    givenAt: hourAgo(),
    scope: { serviceTypes: ['MBE'], providerIds: [] },
    purposes: ['migration-counselling', 'contact-feedback'],
    dataCategories: ['needs', 'identity', 'contact'],
    evidence: { formId: 'rex-consent-mbe', formVersion: '2026-03', language: 'ar', sha256: 'b'.repeat(64) },
    ...overrides,
  };
}

const key = () => `key-${randomUUID()}`;

/** `idempotencyKey: null` sends none. */
const record = (b: unknown, idempotencyKey: string | null = key(), principal = RECORDER, via = handler) =>
  invoke(
    via,
    apiEvent(recordConsent, {
      principal,
      stage: emu.stage,
      body: b,
      idempotencyKey: idempotencyKey ?? undefined,
    }),
  );
const get = (id: string, principal: string) =>
  invoke(handler, apiEvent(getConsent, { principal, stage: emu.stage, params: { id } }));
const withdraw = (id: string, principal: string, b: unknown = {}, via = handler) =>
  invoke(via, apiEvent(withdrawConsent, { principal, stage: emu.stage, params: { id }, body: b }));

async function scanAll(table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const out = await emu.dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []).map((i) => unmarshall(i)));
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}

/** The consent items of a subject (read from the table: the subject index projects only a few attributes). */
async function consentItemsOf(subjectId: string): Promise<Record<string, unknown>[]> {
  return (await scanAll(records())).filter(
    (i) => i.gsi1pk === `SUBJECT#${subjectId}` && String(i.gsi1sk).startsWith('CONSENT#'),
  );
}

/** The audit drafts of a subject, validated against the draft schema (drafts are in the DPO indexes only once sequenced). */
async function auditDraftsOf(subjectId: string) {
  return (await scanAll(audit()))
    .filter((i) => i.subjectId === subjectId)
    .map((i) => AuditEntryDraftSchema.parse(i.entry));
}

/** A referral item as referral intake writes it: only the attributes the consent API reads. */
async function putReferral(consent: { id: string; subjectId: string }, officeId: string): Promise<void> {
  const id = `ref_${randomUUID()}`;
  await emu.dynamodb.send(
    new PutItemCommand({
      TableName: records(),
      Item: marshall({
        pk: `REFERRAL#${id}`,
        sk: 'REFERRAL',
        gsi1pk: `SUBJECT#${consent.subjectId}`,
        gsi1sk: `REFERRAL#${new Date().toISOString()}#${id}`,
        consentId: consent.id,
        serviceOfficeId: officeId,
        subjectId: consent.subjectId,
      }),
    }),
  );
}

async function recorded(overrides: Record<string, unknown> = {}): Promise<ConsentView> {
  const res = await record(body(overrides));
  expect(res.status).toBe(201);
  return ConsentView.parse(res.body);
}

beforeAll(async () => {
  await emu.createTables();
  Object.assign(process.env, emu.env());
  handler = (await import('#functions/consents.ts')).handler as unknown as ProxyHandler;
});

describe('POST /v1/consents: refusals write nothing', () => {
  // First in the file, while both tables are still empty.
  it('names every offending field of a bad request, and writes nothing', async () => {
    const bad = body({
      subject: { familyName: 'X', dateOfBirth: '1990-02-30', nationality: 'Syria' },
      purposes: ['everything'],
      evidence: { formId: 'rex-consent-mbe', formVersion: '2026-03', language: 'ar' },
    });
    const res = await record(bad, null);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.type).toBe('tag:referral-exchange,2026:problem:invalid-request');
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'Idempotency-Key',
        'subject.givenNames',
        'subject.dateOfBirth',
        'subject.nationality',
        'purposes[0]',
        'evidence.sha256',
      ]),
    );
    expect(await scanAll(records())).toEqual([]);
    expect(await scanAll(audit())).toEqual([]);
  });

  it('refuses unknown properties, each by name, and writes nothing', async () => {
    const res = await record({
      ...body(),
      recordedBy: 'authority:abh-ettlingen',
      subjectId: `sub_${'0'.repeat(64)}`,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'recordedBy', reason: 'unknown property' },
        { field: 'subjectId', reason: 'unknown property' },
      ]),
    );
    expect(await scanAll(records())).toEqual([]);
    expect(await scanAll(audit())).toEqual([]);
  });

  it('reports every offending entry of a list at once: the repeated ones and the unknown one', async () => {
    const res = await record(
      body({
        dataCategories: ['identity', 'identity', 'everything', 'identity'],
        scope: { serviceTypes: ['MBE', 'MBE'], providerIds: [] },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'dataCategories[1]',
      'dataCategories[2]',
      'dataCategories[3]',
      'scope.serviceTypes[1]',
    ]);
    const repeat = res.body.errors.find((e: { field: string }) => e.field === 'dataCategories[1]');
    expect(repeat.reason).toBe('must not repeat an entry');
    expect(await scanAll(records())).toEqual([]);
    expect(await scanAll(audit())).toEqual([]);
  });

  it('refuses a consent that breaks a rule with 422 naming the field, and writes nothing', async () => {
    const res = await record(body({ subject: { azrNumber: azrNumber(), dateOfBirth: '2015-01-01' } }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'givenBy.role', reason: expect.stringContaining('guardian') }]);
    expect(await scanAll(records())).toEqual([]);
  });

  it('refuses a principal other than an authority with 403, and writes nothing', async () => {
    for (const principal of [SERVICE, DPO, OPERATOR]) {
      expect((await record(body(), key(), principal)).status).toBe(403);
    }
    expect(await scanAll(records())).toEqual([]);
    expect(await scanAll(audit())).toEqual([]);
  });
});

describe('POST /v1/consents', () => {
  it('records a consent: 201 with the view, one consent item and one audit draft in the same transaction', async () => {
    const res = await record(body());
    expect(res.status).toBe(201);
    const view = ConsentView.parse(res.body);
    expect(view.id).toMatch(/^con_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(view).toMatchObject({
      recordedBy: RECORDER,
      status: 'active',
      givenBy: { role: 'subject' },
      scope: { serviceTypes: ['MBE'], providerIds: [] },
      purposes: ['migration-counselling', 'contact-feedback'],
      dataCategories: ['identity', 'contact', 'needs'],
    });
    const items = await consentItemsOf(view.subjectId);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      pk: `CONSENT#${view.id}`,
      sk: 'CONSENT',
      gsi1sk: `CONSENT#${view.givenAt}#${view.id}`,
      version: 1,
      recordedBy: RECORDER,
    });
    expect(await auditDraftsOf(view.subjectId)).toEqual([
      expect.objectContaining({
        event: 'consent.recorded',
        actor: RECORDER,
        subjectId: view.subjectId,
        authorityId: 'abh-lk-karlsruhe',
        serviceOfficeId: null,
        dataCategories: ['contact', 'identity', 'needs'],
        legalBasis: { article: 'GDPR Art. 6(1)(a)', consentId: view.id },
        purpose: null,
        reason: null,
      }),
    ]);
  });

  it('answers a retry with the same key and body with the same 201 and id, writing once', async () => {
    const b = body();
    const k = key();
    const first = await record(b, k);
    const second = await record(b, k);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await consentItemsOf(first.body.subjectId)).toHaveLength(1);
    expect(await auditDraftsOf(first.body.subjectId)).toHaveLength(1);
  });

  it('refuses the same key with another body (422), writing nothing more', async () => {
    const k = key();
    const first = await record(body(), k);
    const res = await record(body(), k);
    expect(res.status).toBe(422);
    expect(res.body.type).toBe('tag:referral-exchange,2026:problem:idempotency-key-reused');
    expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', reason: expect.any(String) }]);
    expect(await consentItemsOf(first.body.subjectId)).toHaveLength(1);
  });

  it('commits exactly one consent for 50 concurrent identical requests, all answered alike', async () => {
    const b = body();
    const k = key();
    const responses = await Promise.all(Array.from({ length: 50 }, () => record(b, k)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const subjectId = responses[0]?.body.subjectId as string;
    expect(await consentItemsOf(subjectId)).toHaveLength(1);
    expect(await auditDraftsOf(subjectId)).toHaveLength(1);
  });

  it('records concurrent different consents, each once', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => record(body())));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(10);
    for (const r of responses) {
      expect(await consentItemsOf(r.body.subjectId)).toHaveLength(1);
      expect(await auditDraftsOf(r.body.subjectId)).toHaveLength(1);
    }
  });
});

describe('GET /v1/consents/{id}', () => {
  it('shows the consent to the recording authority, another authority and the DPO', async () => {
    const view = await recorded();
    for (const principal of [RECORDER, OTHER_AUTHORITY, DPO]) {
      const res = await get(view.id, principal);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(view);
    }
  });

  it('answers 404 to a service office without a referral under the consent, 200 with one', async () => {
    const view = await recorded();
    expect((await get(view.id, SERVICE)).status).toBe(404);
    // A referral of the same person under another consent, or to another office, does not count.
    const other = await recorded({ subject: { azrNumber: azrNumber(), dateOfBirth: '1990-05-17' } });
    await putReferral({ id: other.id, subjectId: view.subjectId }, SERVICE_ID);
    await putReferral(view, 'mbe-diakonie-bruchsal');
    const hidden = await get(view.id, SERVICE);
    expect(hidden.status).toBe(404);
    expect(hidden.body.type).toBe('tag:referral-exchange,2026:problem:not-found');
    await putReferral(view, SERVICE_ID);
    const res = await get(view.id, SERVICE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(view);
  });

  it('refuses operators with 403', async () => {
    const view = await recorded();
    const res = await get(view.id, OPERATOR);
    expect(res.status).toBe(403);
    expect(res.body.type).toBe('tag:referral-exchange,2026:problem:forbidden');
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await get('con_00000000000000000000000000', RECORDER)).status).toBe(404);
    const bad = await get('not a consent id', RECORDER);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'path.id', reason: expect.any(String) }]);
  });
});

describe('POST /v1/consents/{id}/withdrawal', () => {
  async function withdrawnDrafts(subjectId: string) {
    return (await auditDraftsOf(subjectId)).filter((d) => d.event === 'consent.withdrawn');
  }

  it('lets the recording authority withdraw, with the audit draft in the same transaction', async () => {
    const view = await recorded();
    const res = await withdraw(view.id, RECORDER, { reason: 'subject-request' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: view.id,
      status: 'withdrawn',
      withdrawnBy: RECORDER,
      withdrawalReason: 'subject-request',
    });
    const [item] = await consentItemsOf(view.subjectId);
    expect(item).toMatchObject({ version: 2, withdrawnAt: res.body.withdrawnAt, withdrawnBy: RECORDER });
    expect(await withdrawnDrafts(view.subjectId)).toEqual([
      expect.objectContaining({
        actor: RECORDER,
        time: res.body.withdrawnAt,
        authorityId: 'abh-lk-karlsruhe',
        serviceOfficeId: null,
        dataCategories: ['contact', 'identity', 'needs'],
        legalBasis: { article: 'GDPR Art. 6(1)(a)', consentId: view.id },
        reason: 'subject-request',
      }),
    ]);
    expect((await get(view.id, DPO)).body.status).toBe('withdrawn');
  });

  it('lets another authority withdraw; the audit keeps the recording authority', async () => {
    const view = await recorded();
    const res = await withdraw(view.id, OTHER_AUTHORITY);
    expect(res.status).toBe(200);
    expect(res.body.withdrawnBy).toBe(OTHER_AUTHORITY);
    expect(await withdrawnDrafts(view.subjectId)).toEqual([
      expect.objectContaining({ actor: OTHER_AUTHORITY, authorityId: 'abh-lk-karlsruhe', reason: null }),
    ]);
  });

  it('lets a service office holding a referral under the consent withdraw it', async () => {
    const view = await recorded();
    await putReferral(view, SERVICE_ID);
    const res = await withdraw(view.id, SERVICE, { reason: 'subject-request' });
    expect(res.status).toBe(200);
    expect(res.body.withdrawnBy).toBe(SERVICE);
    expect(await withdrawnDrafts(view.subjectId)).toEqual([
      expect.objectContaining({ actor: SERVICE, serviceOfficeId: SERVICE_ID }),
    ]);
  });

  it('answers 404 to a service office without a referral under it, and changes nothing', async () => {
    const view = await recorded();
    const res = await withdraw(view.id, SERVICE);
    expect(res.status).toBe(404);
    expect((await get(view.id, RECORDER)).body.status).toBe('active');
    expect(await withdrawnDrafts(view.subjectId)).toEqual([]);
  });

  it('refuses data-protection officers and operators with 403', async () => {
    const view = await recorded();
    expect((await withdraw(view.id, DPO)).status).toBe(403);
    expect((await withdraw(view.id, OPERATOR)).status).toBe(403);
    expect((await get(view.id, RECORDER)).body.status).toBe('active');
  });

  it('answers 404 for an unknown id', async () => {
    const res = await withdraw('con_00000000000000000000000000', RECORDER);
    expect(res.status).toBe(404);
  });

  it('refuses an unknown reason and unknown properties with 400', async () => {
    const view = await recorded();
    const res = await withdraw(view.id, RECORDER, {
      reason: 'changed-mind',
      withdrawnAt: '2020-01-01T00:00:00Z',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['reason', 'withdrawnAt']);
    expect((await get(view.id, RECORDER)).body.status).toBe('active');
  });

  it('is idempotent: withdrawing again answers 200 with the same view and no second draft', async () => {
    const view = await recorded();
    const first = await withdraw(view.id, RECORDER, { reason: 'subject-request' });
    const second = await withdraw(view.id, OTHER_AUTHORITY, { reason: 'other' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await withdrawnDrafts(view.subjectId)).toHaveLength(1);
  });

  it('commits exactly one withdrawal for 10 concurrent ones, all answered 200 alike', async () => {
    const view = await recorded();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => withdraw(view.id, i % 2 === 0 ? RECORDER : OTHER_AUTHORITY)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const first = responses[0]?.body;
    for (const r of responses) expect(r.body).toEqual(first);
    expect(await withdrawnDrafts(view.subjectId)).toHaveLength(1);
    const [item] = await consentItemsOf(view.subjectId);
    expect(item).toMatchObject({ version: 2, withdrawnBy: first.withdrawnBy });
  });
});

describe('no personal data at rest or in logs', () => {
  it('stores and logs neither the names nor the date of birth (canary)', async () => {
    const FAMILY = 'Zzyzxcanary';
    const GIVEN = 'Quorplinda';
    const BORN = '1983-07-29';
    const captured: string[] = [];
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    // A handler module of its own, whose logger starts at DEBUG (the level is read at cold start).
    const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    vi.resetModules();
    const debugHandler = (await import('#functions/consents.ts')).handler as unknown as ProxyHandler;
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    let res: Awaited<ReturnType<typeof record>>;
    let bad: Awaited<ReturnType<typeof record>>;
    try {
      const canary = { familyName: FAMILY, givenNames: GIVEN, dateOfBirth: BORN, nationality: 'SYR' };
      res = await record(body({ subject: canary }), key(), RECORDER, debugHandler);
      // A refused request with the canary must not echo it either.
      bad = await record(
        body({ subject: { ...canary, nationality: 'Syria' } }),
        key(),
        RECORDER,
        debugHandler,
      );
      await withdraw(res.body.id, RECORDER, { reason: 'subject-request' }, debugHandler);
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
      process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
    }
    expect(res.status).toBe(201);
    expect(bad.status).toBe(400);
    const logged = captured.join('');
    // The capture works: the handler's request lines are in it.
    expect(logged).toContain('request completed');
    expect(logged).toContain('recordConsent');
    const everything = [
      JSON.stringify(await scanAll(records())),
      JSON.stringify(await scanAll(audit())),
      logged,
      JSON.stringify(res.body),
      JSON.stringify(bad.body),
    ].join('\n');
    expect(everything).toContain(res.body.id);
    for (const canary of [FAMILY, GIVEN, BORN])
      expect(everything.toLowerCase()).not.toContain(canary.toLowerCase());
  });
});

describe('consent form texts', () => {
  const digestOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const de = digestOf('consent-forms/2026-12/de.md');
  const en = digestOf('consent-forms/2026-12/en.md');
  const call = (op: typeof listConsentForms | typeof getConsentForm, params?: Record<string, string>) =>
    invoke(handler, apiEvent(op, { stage: emu.stage, ...(params ? { params } : {}) }));

  it('lists every text with the form version that names it, and serves each exactly, to anyone', async () => {
    const list = await call(listConsentForms);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        { version: '2026-12', language: 'de', sha256: de, formVersion: `sha256-${de}` },
        { version: '2026-12', language: 'en', sha256: en, formVersion: `sha256-${en}` },
      ]),
    );
    const text = await call(getConsentForm, { sha256: de });
    expect(text.status).toBe(200);
    expect(text.body.text).toBe(readFileSync('consent-forms/2026-12/de.md', 'utf8'));
    expect(createHash('sha256').update(text.body.text, 'utf8').digest('hex')).toBe(de);
    expect((await call(getConsentForm, { sha256: 'c'.repeat(64) })).status).toBe(404);
    const malformed = await call(getConsentForm, { sha256: 'xyz' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('path.sha256');
  });

  it('records a consent that names a form text by digest in its language, and refuses an unknown text or a wrong language (422)', async () => {
    const evidence = { formId: 'rex-consent', language: 'de', sha256: 'b'.repeat(64) };
    const ok = await record(body({ evidence: { ...evidence, formVersion: `sha256-${de}` } }));
    expect(ok.status).toBe(201);
    const before = (await scanAll(records())).length;
    const unknown = await record(
      body({ evidence: { ...evidence, formVersion: `sha256-${'c'.repeat(64)}` } }),
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'evidence.formVersion', reason: expect.any(String) }]);
    const wrongLanguage = await record(
      body({ evidence: { ...evidence, language: 'en', formVersion: `sha256-${de}` } }),
    );
    expect(wrongLanguage.status).toBe(422);
    expect(wrongLanguage.body.errors).toEqual([
      { field: 'evidence.language', reason: expect.stringContaining('de') },
    ]);
    expect((await scanAll(records())).length).toBe(before);
  });
});

describe('GET /v1/consents/{id}/receipt', () => {
  const receipt = (
    id: string,
    principal: string,
    options: { query?: Record<string, string>; headers?: Record<string, string> } = {},
  ) =>
    invoke(handler, apiEvent(getConsentReceipt, { principal, stage: emu.stage, params: { id }, ...options }));

  it('gives the authority and the DPO the receipt: labels, names, the form text, how to withdraw', async () => {
    const de = createHash('sha256').update(readFileSync('consent-forms/2026-12/de.md')).digest('hex');
    const consent = await recorded({
      evidence: {
        formId: 'rex-consent',
        formVersion: `sha256-${de}`,
        language: 'de',
        sha256: 'b'.repeat(64),
      },
      validUntil: new Date(Date.now() + 90 * 86_400_000).toISOString(),
    });
    const res = await receipt(consent.id, RECORDER);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      consentId: consent.id,
      languages: ['de', 'en'],
      controller: { authorityId: 'abh-lk-karlsruhe', name: expect.stringContaining('Karlsruhe') },
      purposes: [
        {
          code: 'migration-counselling',
          label: { de: expect.stringContaining('Migrationsberatung'), en: expect.any(String) },
        },
        {
          code: 'contact-feedback',
          label: { de: 'Rückmeldung zur Kontaktaufnahme', en: 'Feedback on contact' },
        },
      ],
      recipients: { serviceTypes: [{ code: 'MBE', name: expect.any(String) }], providers: [] },
      form: { formVersion: `sha256-${de}`, text: { version: '2026-12', language: 'de', sha256: de } },
      withdrawal: { de: expect.stringContaining(consent.id), en: expect.stringContaining(consent.id) },
    });
    expect((await receipt(consent.id, DPO)).status).toBe(200);
  });

  it('renders a printable German-first page under a strict CSP, on Accept: text/html or format=html', async () => {
    const consent = await recorded();
    for (const options of [{ headers: { accept: 'text/html' } }, { query: { format: 'html' } }]) {
      const res = await receipt(consent.id, RECORDER, options);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const csp = res.headers['content-security-policy'];
      expect(csp).toMatch(/default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).not.toContain('unsafe-inline');
      const html = String(res.body);
      expect(html).toMatch(/^<!doctype html>\n<html lang="de">/);
      expect(html).toContain('Quittung über Ihre Einwilligung');
      expect(html).toContain('lang="en"');
      expect(html).toContain(consent.id);
      expect(html).not.toContain('<script');
      expect(html).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
      expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    }
  });

  it('refuses service offices and operators (403) and answers 404 for an unknown consent', async () => {
    const consent = await recorded();
    expect((await receipt(consent.id, SERVICE)).status).toBe(403);
    expect((await receipt(consent.id, OPERATOR)).status).toBe(403);
    expect((await receipt(`con_${'0'.repeat(26)}`, RECORDER)).status).toBe(404);
  });
});
