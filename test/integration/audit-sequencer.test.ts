import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/lambda-context.ts';
import { scheduledEvent } from '#local/scheduler.ts';
import { auditKeys, putAuditDraft } from '#shared/adapters/audit-drafts.ts';
import { dynamoClient } from '#shared/adapters/aws-clients.ts';
import { commit } from '#shared/adapters/transactions.ts';
import { getLatestAuditCheckpoint, listAuditCheckpoints, listAuditEntries } from '#shared/api/audit.ts';
import { type AuditEntry, auditDraft } from '#shared/domain/audit/entry.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { ACCOUNT_ID, REGION, useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
const DPO = 'dpo:lk-karlsruhe';
const WRITERS = 32;
const DRAFTS_PER_WRITER = 5;

let sequencer: (event: ScheduledEvent, context: Context) => Promise<{ sequenced: number; treeSize: number }>;
let api: ProxyHandler;
let auditTableName: string;
/** Every command the SDK client sent, by name. */
const commands: string[] = [];

const runSequencer = () =>
  sequencer(
    scheduledEvent('AuditSequencerFunction', REGION, ACCOUNT_ID, new Date()),
    lambdaContext('AuditSequencerFunction', REGION, ACCOUNT_ID),
  );

const call = (operation: OperationSpec, query?: Record<string, string>) =>
  invoke(api, apiEvent(operation, { principal: DPO, stage: emu.stage, ...(query ? { query } : {}) }));

/** The whole log through the export feed, page by page. */
async function exportLog(): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const res = await call(listAuditEntries, { limit: '37', ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    entries.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return entries;
}

async function allCheckpointNotes(): Promise<string[]> {
  const res = await call(listAuditCheckpoints, { limit: '500' });
  expect(res.status).toBe(200);
  return res.body.items.map((c: { note: string }) => c.note);
}

function writerDraft(writer: number, n: number) {
  return auditDraft({
    event: 'referral.accepted',
    actor: 'authority:abh-bruchsal',
    authorityId: 'abh-bruchsal',
    serviceOfficeId: 'mbe-caritas-bruchsal',
    subjectId: `sub_${String(writer).padStart(64, '0')}`,
    referralId: `ref-${writer}-${n}`,
    consentId: `con-${writer}`,
    dataCategories: ['contact', 'identity'],
  });
}

beforeAll(async () => {
  await emu.createTables();
  Object.assign(process.env, emu.env(), {
    REX_CHECKPOINT_PRIVATE_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
  });
  auditTableName = `rex-${emu.stage}-audit`;
  sequencer = (await import('#functions/audit-sequencer.ts')).handler as never;
  api = (await import('#functions/audit-api.ts')).handler as unknown as ProxyHandler;
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
});

describe('the audit sequencer against DynamoDB Local', () => {
  it('chains the drafts of 32 concurrent writers into a log that verifies against the signed checkpoint', async () => {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = 0; n < DRAFTS_PER_WRITER; n++) {
          await commit([putAuditDraft(auditTableName, writerDraft(writer, n))]);
        }
      }),
    );
    const run = await runSequencer();
    const total = WRITERS * DRAFTS_PER_WRITER;
    expect(run).toMatchObject({ sequenced: total, treeSize: total });

    const entries = await exportLog();
    expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const latest = await call(getLatestAuditCheckpoint);
    expect(latest.status).toBe(200);
    expect(latest.body.treeSize).toBe(total);
    const result = await verifyLog(entries, {
      checkpoints: [latest.body.note],
      verifierKey: latest.body.verifierKey,
    });
    expect(result).toMatchObject({ ok: true, entries: total, checkpointsMatched: 1, signedTreeSize: total });
    // Within one batch, business time orders the entries.
    const firstBatch = entries.slice(0, 99).map((e) => `${e.time}#${e.entryId}`);
    expect(firstBatch).toEqual([...firstBatch].sort());
    expect(commands).not.toContain('ScanCommand');
    expect(commands).toContain('TransactWriteItemsCommand');
  });

  it('changes nothing when run again', async () => {
    const before = await exportLog();
    const notesBefore = await allCheckpointNotes();
    const run = await runSequencer();
    expect(run.sequenced).toBe(0);
    expect(await exportLog()).toEqual(before);
    expect(await allCheckpointNotes()).toEqual(notesBefore);
  });

  it('sequences a draft added after a checkpoint in the next run, under a new checkpoint', async () => {
    const sizeBefore = (await call(getLatestAuditCheckpoint)).body.treeSize as number;
    await commit([putAuditDraft(auditTableName, writerDraft(99, 0))]);
    const run = await runSequencer();
    expect(run).toMatchObject({ sequenced: 1, treeSize: sizeBefore + 1 });
    const entries = await exportLog();
    const notes = await allCheckpointNotes();
    expect(notes).toHaveLength(2);
    const latest = await call(getLatestAuditCheckpoint);
    expect(latest.body.treeSize).toBe(sizeBefore + 1);
    const result = await verifyLog(entries, { checkpoints: notes, verifierKey: latest.body.verifierKey });
    expect(result).toMatchObject({ ok: true, checkpointsMatched: 2, lastSequence: sizeBefore + 1 });
    // The new head's checkpoint carries the frontier: an anchor for what comes after.
    const anchor = (await call(listAuditCheckpoints, { limit: '1' })).body.items[0];
    expect(anchor.merkleFrontier.size).toBe(sizeBefore + 1);
  });

  it('skips a draft that is sequenced already or whose item has gone, and keeps the chain whole', async () => {
    const { PutItemCommand, DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    const { marshall } = await import('@aws-sdk/util-dynamodb');
    // A pending index row whose item then disappears (TTL deletion between index read and write).
    const gone = writerDraft(100, 0);
    await commit([putAuditDraft(auditTableName, gone)]);
    await emu.dynamodb.send(
      new DeleteItemCommand({ TableName: auditTableName, Key: marshall(auditKeys.entry(gone.entryId)) }),
    );
    // An item that claims to be pending without an entry map is left alone, not sequenced.
    await emu.dynamodb.send(
      new PutItemCommand({
        TableName: auditTableName,
        Item: marshall({
          ...auditKeys.entry(`junk-${randomUUID()}`),
          pendingShard: 'pending',
          timeKey: '0000#junk',
        }),
      }),
    );
    const next = writerDraft(101, 0);
    await commit([putAuditDraft(auditTableName, next)]);
    const run = await runSequencer();
    expect(run.sequenced).toBe(1);
    const entries = await exportLog();
    expect(entries.at(-1)?.entryId).toBe(next.entryId);
    const result = await verifyLog(entries, {
      checkpoints: await allCheckpointNotes(),
      verifierKey: (await call(getLatestAuditCheckpoint)).body.verifierKey,
    });
    expect(result.ok).toBe(true);
  });
});
