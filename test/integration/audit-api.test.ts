import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/lambda-context.ts';
import { scheduledEvent } from '#local/scheduler.ts';
import { putAuditDraft } from '#shared/adapters/audit-drafts.ts';
import { dynamoClient } from '#shared/adapters/aws-clients.ts';
import { commit } from '#shared/adapters/transactions.ts';
import * as auditOperations from '#shared/api/audit.ts';
import {
  getAccessReport,
  getAuditConsistencyProof,
  getAuditInclusionProof,
  getAuditVerifierKey,
  getLatestAuditCheckpoint,
  getRecordOfProcessing,
  listAuditEntries,
  lookupAuditSubject,
  queryAuditEvents,
  recordAuditExport,
} from '#shared/api/audit.ts';
import { type AuditDraftInput, auditDraft } from '#shared/domain/audit/entry.ts';
import { subjectIdFor } from '#shared/domain/pseudonym.ts';
import { documentCsp } from '#shared/http/html-document.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { ACCOUNT_ID, REGION, TEST_PSEUDONYM_SECRET, useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
const DPO = 'dpo:lk-karlsruhe';
const OFFICE = 'mbe-caritas-bruchsal';
const AUTHORITY_NAME = 'Stadt Bruchsal – Ausländerbehörde';
/** A name an operator could type into the directory; the HTML report must show it as text. */
const HOSTILE_OFFICE_NAME = 'Caritas <script>alert("x")</script> & Söhne';

let api: ProxyHandler;
let sequencer: (event: ScheduledEvent, context: Context) => Promise<unknown>;
let auditTableName: string;
const commands: string[] = [];

const secret = Buffer.from(TEST_PSEUDONYM_SECRET, 'hex');
const subject = subjectIdFor({ azrNumber: '123456789012' }, secret);
const otherSubject = subjectIdFor({ azrNumber: '210987654321' }, secret);

type CallOptions = Omit<Parameters<typeof apiEvent>[1], 'stage'>;
const call = (operation: OperationSpec, options: CallOptions = {}) =>
  invoke(api, apiEvent(operation, { principal: DPO, stage: emu.stage, ...options }));

const at = (minute: number) => new Date(Date.UTC(2026, 10, 2, 8, minute));
const base = { actor: 'authority:abh-bruchsal', authorityId: 'abh-bruchsal', subjectId: subject } as const;

async function write(...inputs: AuditDraftInput[]) {
  for (const input of inputs) await commit([putAuditDraft(auditTableName, auditDraft(input))]);
}

const runSequencer = () =>
  sequencer(
    scheduledEvent('AuditSequencerFunction', REGION, ACCOUNT_ID, new Date()),
    lambdaContext('AuditSequencerFunction', REGION, ACCOUNT_ID),
  );

beforeAll(async () => {
  await emu.createTables();
  const dir = mkdtempSync(join(tmpdir(), 'rex-audit-'));
  const directory = JSON.parse(readFileSync('config/directory.example.json', 'utf8'));
  directory.serviceOffices.find((o: { id: string }) => o.id === OFFICE).name = HOSTILE_OFFICE_NAME;
  writeFileSync(join(dir, 'directory.json'), JSON.stringify(directory));
  Object.assign(process.env, emu.env(), {
    REX_DIRECTORY_FILE: join(dir, 'directory.json'),
    REX_CHECKPOINT_PRIVATE_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
  });
  auditTableName = `rex-${emu.stage}-audit`;
  api = (await import('#functions/audit-api.ts')).handler as unknown as ProxyHandler;
  sequencer = (await import('#functions/audit-sequencer.ts')).handler as never;
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countAuditCommands' },
  );

  await write(
    {
      ...base,
      event: 'consent.recorded',
      time: at(0),
      consentId: 'con-1',
      dataCategories: ['contact', 'identity'],
    },
    {
      ...base,
      event: 'referral.accepted',
      time: at(1),
      consentId: 'con-1',
      serviceOfficeId: OFFICE,
      referralId: 'ref-1',
      dataCategories: ['contact'],
    },
    {
      ...base,
      actor: `service:${OFFICE}`,
      event: 'referral.received',
      time: at(5),
      consentId: 'con-1',
      serviceOfficeId: OFFICE,
      referralId: 'ref-1',
      dataCategories: ['contact', 'identity'],
      purpose: 'migration-counselling',
    },
    { ...base, event: 'consent.recorded', time: at(10), consentId: 'con-2', dataCategories: ['contact'] },
    { ...base, event: 'consent.withdrawn', time: at(12), consentId: 'con-2', reason: 'subject-request' },
    {
      ...base,
      event: 'referral.accepted',
      time: at(11),
      consentId: 'con-2',
      serviceOfficeId: 'jmd-ib-bruchsal',
      referralId: 'ref-2',
    },
    {
      ...base,
      event: 'referral.revoked',
      time: at(13),
      consentId: 'con-2',
      serviceOfficeId: 'jmd-ib-bruchsal',
      referralId: 'ref-2',
    },
    // Another person, another authority.
    {
      ...base,
      subjectId: otherSubject,
      actor: 'authority:abh-ettlingen',
      authorityId: 'abh-ettlingen',
      event: 'consent.recorded',
      time: at(3),
      consentId: 'con-9',
    },
    // Past its retention (written in 2020: kept until the end of 2021).
    { ...base, event: 'consent.recorded', time: new Date(Date.UTC(2020, 5, 1)), consentId: 'con-old' },
  );
  await write({ ...base, event: 'consent.recorded', time: at(30), consentId: 'con-3' });
  await runSequencer();
});

describe('role checks', () => {
  const operations = Object.values(auditOperations) as OperationSpec[];
  // The DPO's own calls concern another subject, so that the later tests see a fixed history.
  const params = { subjectId: otherSubject };
  // Sequence 1 is the entry of 2020 (past its retention); its epoch is sealed by the checkpoint at 1.
  const queries = new Map<OperationSpec, Record<string, string>>([
    [queryAuditEvents, { subjectId: otherSubject }],
    [getAuditInclusionProof, { sequence: '2' }],
    [getAuditConsistencyProof, { fromTreeSize: '1' }],
  ]);
  const query = (op: OperationSpec) => queries.get(op);
  const body = (op: OperationSpec) =>
    op === lookupAuditSubject
      ? { azrNumber: '123456789012', dateOfBirth: '1990-01-01' }
      : op === recordAuditExport
        ? { format: 'ndjson' }
        : undefined;

  it('refuses authority, service and operator principals (403) and unsigned requests (401)', async () => {
    const guarded = operations.filter((op) => op.auth !== 'public');
    expect(guarded).toHaveLength(operations.length - 1);
    for (const op of guarded) {
      for (const principal of ['authority:abh-bruchsal', `service:${OFFICE}`, 'operator']) {
        const res = await call(op, { principal, params, body: body(op), idempotencyKey: 'key-00000001' });
        expect(res.status, `${op.operationId} as ${principal}`).toBe(403);
      }
      const unsigned = await invoke(
        api,
        apiEvent(op, { stage: emu.stage, params, body: body(op), idempotencyKey: 'key-00000001' }),
      );
      expect(unsigned.status, `${op.operationId} unsigned`).toBe(401);
      const dpo = await call(op, {
        params,
        body: body(op),
        idempotencyKey: `key-dpo-${op.operationId}`,
        ...(query(op) ? { query: query(op) } : {}),
      });
      expect(dpo.status, `${op.operationId} as dpo`).toBeLessThan(300);
    }
  });

  it('serves the verifier key to anyone: it is a public key', async () => {
    for (const principal of [undefined, 'authority:abh-bruchsal', 'operator', DPO]) {
      const res = await invoke(
        api,
        apiEvent(getAuditVerifierKey, { stage: emu.stage, ...(principal ? { principal } : {}) }),
      );
      expect(res.status).toBe(200);
      expect(res.body.verifierKey).toMatch(/^referral-exchange\/lk-karlsruhe\/t[0-9a-f]+\+[0-9a-f]{8}\+/);
      expect(res.body.publicKeyPem).toContain('BEGIN PUBLIC KEY');
      expect(res.body.publicKeyJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    }
    const latest = await call(getLatestAuditCheckpoint);
    const key = await invoke(api, apiEvent(getAuditVerifierKey, { stage: emu.stage }));
    expect(latest.body.verifierKey).toBe(key.body.verifierKey);
  });
});

describe('GET /v1/audit/events', () => {
  const ids = (res: {
    body: { items: { entry: { legalBasis: { consentId: string } | null; event: string } }[] };
  }) => res.body.items.map((i) => `${i.entry.event}:${i.entry.legalBasis?.consentId ?? '-'}`);

  it('serves each filter from its index, expired entries left out', async () => {
    const bySubject = await call(queryAuditEvents, { query: { subjectId: subject } });
    expect(bySubject.status).toBe(200);
    expect(ids(bySubject)).toEqual([
      'consent.recorded:con-1',
      'referral.accepted:con-1',
      'referral.received:con-1',
      'consent.recorded:con-2',
      'referral.accepted:con-2',
      'consent.withdrawn:con-2',
      'referral.revoked:con-2',
      'consent.recorded:con-3',
    ]);
    expect(bySubject.body.items.every((i: { sequenced: boolean }) => i.sequenced)).toBe(true);
    expect(bySubject.body.items[0].entry.sequence).toBeGreaterThan(0);

    const byOffice = await call(queryAuditEvents, { query: { serviceOfficeId: OFFICE } });
    expect(ids(byOffice)).toEqual(['referral.accepted:con-1', 'referral.received:con-1']);

    const byAuthority = await call(queryAuditEvents, { query: { authorityId: 'abh-ettlingen' } });
    expect(ids(byAuthority)).toEqual(['consent.recorded:con-9']);

    const byEvent = await call(queryAuditEvents, { query: { event: 'consent.withdrawn' } });
    expect(ids(byEvent)).toEqual(['consent.withdrawn:con-2']);

    const combined = await call(queryAuditEvents, {
      query: { subjectId: subject, event: 'referral.accepted' },
    });
    expect(ids(combined)).toEqual(['referral.accepted:con-1', 'referral.accepted:con-2']);

    const window = await call(queryAuditEvents, {
      query: { subjectId: subject, from: at(5).toISOString(), to: '2026-11-02T09:11:00+01:00' },
    });
    expect(ids(window)).toEqual(['referral.received:con-1', 'consent.recorded:con-2']);

    expect(commands).toContain('QueryCommand');
    expect(commands).not.toContain('ScanCommand');
  });

  it('pages with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const res = await call(queryAuditEvents, {
        query: { subjectId: subject, limit: '3', ...(cursor ? { cursor } : {}) },
      });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(res));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
  });

  it('refuses a malformed cursor, a cursor of another query, and a query without a filter (400)', async () => {
    const first = await call(queryAuditEvents, { query: { subjectId: subject, limit: '1' } });
    const cases: Record<string, string>[] = [
      { subjectId: subject, cursor: 'not a cursor!' },
      { subjectId: subject, cursor: 'bm90LWpzb24' },
      { subjectId: otherSubject, cursor: first.body.nextCursor },
      { from: at(0).toISOString() },
      { subjectId: subject, limit: '501' },
      { subjectId: subject, limit: '0' },
    ];
    for (const query of cases) {
      const res = await call(queryAuditEvents, { query });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
    }
  });
});

describe('GET /v1/audit/entries', () => {
  it('refuses a malformed cursor', async () => {
    expect((await call(listAuditEntries, { query: { cursor: 'eyJzIjowfQ' } })).status).toBe(400);
    expect((await call(listAuditEntries, { query: { fromSequence: '0' } })).status).toBe(400);
  });
});

describe('subject lookup', () => {
  it('returns the id subjectIdFor computes, for an AZR number and for identity facts', async () => {
    const byAzr = await call(lookupAuditSubject, {
      body: { azrNumber: '1234 5678 9012', dateOfBirth: '1990-01-01' },
    });
    expect(byAzr).toMatchObject({ status: 200, body: { subjectId: subject } });
    const identity = {
      familyName: 'Özdemir',
      givenNames: 'Ayşe',
      dateOfBirth: '1991-04-03',
      nationality: 'TUR',
    };
    const byFacts = await call(lookupAuditSubject, { body: identity });
    expect(byFacts.body.subjectId).toBe(subjectIdFor(identity, secret));
    const missing = await call(lookupAuditSubject, { body: { familyName: 'Özdemir' } });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).not.toContain('Özdemir');
  });
});

describe('the access report', () => {
  it('names the actual recipients and every consent, in JSON, and logs report.generated', async () => {
    const res = await call(getAccessReport, { params: { subjectId: subject } });
    expect(res.status).toBe(200);
    expect(res.body.recipients).toEqual([
      expect.objectContaining({
        serviceOfficeId: OFFICE,
        serviceOfficeName: HOSTILE_OFFICE_NAME,
        referralId: 'ref-1',
        receivedAt: at(5).toISOString(),
        dataCategories: ['contact', 'identity'],
        consentId: 'con-1',
      }),
    ]);
    expect(
      res.body.consents.map((c: { consentId: string; status: string }) => `${c.consentId}:${c.status}`),
    ).toEqual(['con-1:active', 'con-2:withdrawn', 'con-3:active']);
    await runSequencer();
    const logged = await call(queryAuditEvents, { query: { subjectId: subject, event: 'report.generated' } });
    expect(logged.body.items.map((i: { entry: { entryId: string; actor: string } }) => i.entry)).toEqual([
      expect.objectContaining({ entryId: res.body.reportId, actor: DPO, subjectId: subject }),
    ]);
  });

  it('renders printable HTML on Accept: text/html or format=html, with every value escaped', async () => {
    const viaAccept = await call(getAccessReport, {
      params: { subjectId: subject },
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    const viaQuery = await call(getAccessReport, {
      params: { subjectId: subject },
      query: { format: 'html' },
    });
    for (const res of [viaAccept, viaQuery]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      // The strict policy of the printable documents: its one style sheet by hash, nothing inline.
      expect(res.headers['content-security-policy']).toBe(documentCsp());
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const html = res.body as string;
      // Authorities by name, the retention of each kind of item in words.
      expect(html).toContain(`${AUTHORITY_NAME} (abh-bruchsal)`);
      expect(html).toContain('Wie lange was aufbewahrt wird');
      expect(html).toContain('Bis zum Ende des Jahres nach dem Jahr des Eintrags.');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('Empfänger Ihrer Daten');
      expect(html).toContain('Recipients of your data');
      expect(html).toContain('Einwilligungen');
      expect(html).not.toContain('<script');
      expect(html).toContain('Caritas &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Söhne');
    }
    await runSequencer();
    const reports = await call(queryAuditEvents, { query: { event: 'report.generated' } });
    expect(reports.body.items.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a language that is not an ISO 639-1 code, naming the field', async () => {
    const res = await call(getAccessReport, {
      params: { subjectId: subject },
      query: { format: 'html', language: 'english' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('language');
  });

  it('refuses a subject id that is not a pseudonym', async () => {
    const res = await call(getAccessReport, { params: { subjectId: '<b>x</b>' } });
    expect(res.status).toBe(400);
  });
});

describe('the record of processing (Art. 30)', () => {
  it('names the offices of the directory as recipients, in JSON', async () => {
    const res = await call(getRecordOfProcessing);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.deployment.id).toBe('lk-karlsruhe');
    expect(res.body.recipients).toContainEqual(
      expect.objectContaining({ officeId: OFFICE, name: HOSTILE_OFFICE_NAME }),
    );
    expect(res.body.retention.map((i: { item: string }) => i.item)).toContain('audit-entry');
  });

  it('renders a printable page on Accept: text/html or format=html, every value escaped', async () => {
    const viaAccept = await call(getRecordOfProcessing, { headers: { accept: 'text/html' } });
    const viaQuery = await call(getRecordOfProcessing, { query: { format: 'html' } });
    for (const res of [viaAccept, viaQuery]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const html = res.body as string;
      expect(html).toContain('Verzeichnis von Verarbeitungstätigkeiten');
      expect(html).not.toContain('<script');
      expect(html).toContain('Caritas &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Söhne');
    }
  });

  it('refuses an unknown format (400)', async () => {
    const res = await call(getRecordOfProcessing, { query: { format: 'pdf' } });
    expect(res.status).toBe(400);
  });
});

describe('exports', () => {
  it('records an export once per Idempotency-Key and logs export.made', async () => {
    const body = { format: 'ndjson', fromSequence: 1, subjectId: subject };
    const first = await call(recordAuditExport, { body, idempotencyKey: 'export-0000001' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      format: 'ndjson',
      fromSequence: 1,
      toSequence: null,
      subjectId: subject,
    });
    const retry = await call(recordAuditExport, { body, idempotencyKey: 'export-0000001' });
    expect(retry.body).toEqual(first.body);
    const reused = await call(recordAuditExport, {
      body: { format: 'csv' },
      idempotencyKey: 'export-0000001',
    });
    expect(reused.status).toBe(422);
    await runSequencer();
    const logged = await call(queryAuditEvents, { query: { subjectId: subject, event: 'export.made' } });
    expect(logged.body.items.map((i: { entry: { entryId: string } }) => i.entry.entryId)).toContain(
      first.body.exportId,
    );
    const bad = await call(recordAuditExport, { body: { format: 'xml' }, idempotencyKey: 'export-0000002' });
    expect(bad.status).toBe(400);
  });
});

describe('the DPO indexes hold chained entries only', () => {
  it('lists a new event once the sequencer has chained it', async () => {
    const lone = 'sub_'.padEnd(68, 'd');
    await write({
      event: 'consent.recorded',
      actor: 'authority:abh-lk-karlsruhe',
      subjectId: lone,
      authorityId: 'abh-lk-karlsruhe',
      consentId: 'con-lone',
    });
    const before = await call(queryAuditEvents, { query: { subjectId: lone } });
    expect(before.body.items).toEqual([]);
    await runSequencer();
    const after = await call(queryAuditEvents, { query: { subjectId: lone } });
    expect(after.body.items.map((i: { entry: { event: string } }) => i.entry.event)).toEqual([
      'consent.recorded',
    ]);
    expect(after.body.items[0].sequenced).toBe(true);
  });
});

describe('scoped data-protection officers', () => {
  const AUTHORITY_DPO = 'dpo:abh-bruchsal';
  const PROVIDER_DPO = 'dpo:caritas-bruchsal';
  const events = (res: { body: { items: { entry: { event: string; serviceOfficeId: string | null } }[] } }) =>
    res.body.items.map((i) => `${i.entry.event}@${i.entry.serviceOfficeId ?? '-'}`);

  it("an authority's DPO sees that authority's entries only", async () => {
    const mine = await call(queryAuditEvents, {
      principal: AUTHORITY_DPO,
      query: { subjectId: subject, event: 'consent.recorded' },
    });
    expect(mine.status).toBe(200);
    expect(
      mine.body.items.map(
        (i: { entry: { legalBasis: { consentId: string } } }) => i.entry.legalBasis.consentId,
      ),
    ).toEqual(['con-1', 'con-2', 'con-3']);
    const other = await call(queryAuditEvents, {
      principal: AUTHORITY_DPO,
      query: { authorityId: 'abh-ettlingen' },
    });
    expect(other.body.items).toEqual([]);
    const byEvent = await call(queryAuditEvents, {
      principal: AUTHORITY_DPO,
      query: { event: 'consent.recorded' },
    });
    expect(
      byEvent.body.items.map((i: { entry: { authorityId: string } }) => i.entry.authorityId),
    ).not.toContain('abh-ettlingen');
    // The deployment's DPO sees the other authority's entry.
    const whole = await call(queryAuditEvents, { query: { authorityId: 'abh-ettlingen' } });
    expect(whole.body.items).toHaveLength(1);
  });

  it("a provider's DPO sees what its offices received and did, in queries, the report and the feed", async () => {
    const bySubject = await call(queryAuditEvents, {
      principal: PROVIDER_DPO,
      query: { subjectId: subject },
    });
    expect(events(bySubject)).toEqual([`referral.accepted@${OFFICE}`, `referral.received@${OFFICE}`]);
    const otherOffice = await call(queryAuditEvents, {
      principal: PROVIDER_DPO,
      query: { serviceOfficeId: 'jmd-ib-bruchsal' },
    });
    expect(otherOffice.body.items).toEqual([]);

    const report = await call(getAccessReport, { principal: PROVIDER_DPO, params: { subjectId: subject } });
    expect(report.status).toBe(200);
    expect(report.body.recipients.map((r: { referralId: string }) => r.referralId)).toEqual(['ref-1']);
    expect(
      report.body.events.every(
        (e: { entry: { serviceOfficeId: string } }) => e.entry.serviceOfficeId === OFFICE,
      ),
    ).toBe(true);

    const feed = await call(listAuditEntries, { principal: PROVIDER_DPO, query: { limit: '500' } });
    expect(feed.status).toBe(200);
    expect(feed.body.items.length).toBeGreaterThan(0);
    expect(feed.body.items.every((e: { serviceOfficeId: string }) => e.serviceOfficeId === OFFICE)).toBe(
      true,
    );
    const wholeFeed = await call(listAuditEntries, { query: { limit: '500' } });
    expect(wholeFeed.body.items.length).toBeGreaterThan(feed.body.items.length);
  });

  it('proves an entry of the scope against the signed log, and finds none outside it (404)', async () => {
    const feed = await call(listAuditEntries, { query: { limit: '500' } });
    type E = { sequence: number; serviceOfficeId: string | null };
    const checkpoint = await call(getLatestAuditCheckpoint);
    const signed = (e: E) => e.sequence <= checkpoint.body.treeSize;
    const inside = feed.body.items.find((e: E) => e.serviceOfficeId === OFFICE && signed(e));
    const outside = feed.body.items.find((e: E) => e.serviceOfficeId === null && signed(e));
    const proof = await call(getAuditInclusionProof, {
      principal: PROVIDER_DPO,
      query: { sequence: String(inside.sequence) },
    });
    expect(proof.status).toBe(200);
    expect(proof.body.entry.sequence).toBe(inside.sequence);
    expect(proof.body.checkpoint.treeSize).toBe(checkpoint.body.treeSize);
    const refused = await call(getAuditInclusionProof, {
      principal: PROVIDER_DPO,
      query: { sequence: String(outside.sequence) },
    });
    expect(refused.status).toBe(404);
    const byDistrict = await call(getAuditInclusionProof, { query: { sequence: String(outside.sequence) } });
    expect(byDistrict.status).toBe(200);
  });

  it("computes a pseudonym for an authority's DPO, not for a provider's (403, before the body is read)", async () => {
    const body = { azrNumber: '1234 5678 9012', dateOfBirth: '1990-01-01' };
    const allowed = await call(lookupAuditSubject, { principal: AUTHORITY_DPO, body });
    expect(allowed.status).toBe(200);
    expect(allowed.body.subjectId).toBe(subject);
    const refused = await call(lookupAuditSubject, { principal: PROVIDER_DPO, body });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await call(lookupAuditSubject, { principal: PROVIDER_DPO, body: {} })).status).toBe(403);
  });
});
