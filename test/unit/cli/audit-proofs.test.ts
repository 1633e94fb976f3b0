/**
 * `rex audit prove`, `rex audit consistency` and the remembered checkpoints of
 * `rex audit verify`, against the audit service over the in-memory store (fetch is
 * answered by the service, as the API would; no network).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '#cli/rex.ts';
import { AuditService } from '#shared/application/audit/dpo-service.ts';
import { runSequencer } from '#shared/application/audit/sequencer.ts';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { checkpointOfHead, Ed25519Signer, signCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { defaultRetention } from '#shared/domain/retention.ts';
import { problemFromError } from '#shared/http/problem.ts';
import { ConsistencyProofQuery, InclusionProofQuery } from '#shared/schemas/audit.ts';
import { MemoryAuditStore } from '#test/unit/application/audit-fakes.ts';
import { draft, drafts } from '#test/unit/audit/fixtures.ts';
import { captureIo } from './support.ts';

const ORIGIN = 'rex.test/audit';
const signer = Ed25519Signer.fromSeed(ORIGIN, new Uint8Array(32).fill(7));
const clock = new FixedClock('2026-11-20T12:00:00.000Z');
let dir: string;
let store: MemoryAuditStore;
let service: AuditService;
/** What the fake platform answers instead, when set (a platform that lies). */
let tamper: ((path: string, body: Record<string, unknown>) => Record<string, unknown>) | undefined;

async function sequence(n: number, from: number) {
  for (let i = from; i < from + n; i++) store.addDraft(draft(i));
  await runSequencer(
    { store, signer: async () => signer, origin: ORIGIN, clock, retention: defaultRetention },
    { hasTime: () => true },
  );
}

async function answer(url: URL): Promise<{ status: number; body: unknown }> {
  const q = Object.fromEntries(url.searchParams);
  const path = url.pathname.replace(/^\/prod/, '');
  try {
    let body: Record<string, unknown>;
    if (path === '/v1/audit/checkpoints/latest') body = await service.latestCheckpoint();
    else if (path === '/v1/audit/checkpoints')
      body = await service.checkpoints({
        limit: Number(q.limit ?? 100),
        maxTreeSize: q.maxTreeSize ? Number(q.maxTreeSize) : undefined,
      });
    else if (path === '/v1/audit/proofs/inclusion')
      body = await service.inclusionProof(InclusionProofQuery.parse(q));
    else if (path === '/v1/audit/proofs/consistency')
      body = await service.consistencyProof(ConsistencyProofQuery.parse(q));
    else return { status: 404, body: {} };
    return { status: 200, body: tamper ? tamper(path, body) : body };
  } catch (error) {
    const p = problemFromError(error);
    return { status: p.status, body: p };
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-proofs-'));
  store = new MemoryAuditStore();
  service = new AuditService({
    store,
    writer: store,
    signer: async () => signer,
    secret: async () => Buffer.alloc(32, 1),
    names: () => ({ office: () => undefined, authority: () => undefined }),
    sequenceBucketSize: 10_000,
    clock,
  });
  tamper = undefined;
  writeFileSync(
    join(dir, 'profiles.json'),
    JSON.stringify({
      endpoint: 'http://127.0.0.1:9/prod',
      region: 'eu-central-1',
      credentials: [
        { profile: 'dpo', principal: 'dpo:lk-test', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      ],
    }),
  );
  writeFileSync(join(dir, 'key.txt'), `${signer.verifierKey()}\n`);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      const { status, body } = await answer(new URL(url));
      return new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': status === 200 ? 'application/json' : 'application/problem+json' },
      });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

const profile = ['--profile', 'dpo', '--profiles', 'profiles.json', '--key', 'key.txt'];

describe('rex audit prove', () => {
  it('proves an entry against the newest or a chosen checkpoint', async () => {
    await sequence(20, 0);
    await sequence(13, 20);
    const io = captureIo(dir);
    expect(await run(['audit', 'prove', '--entry', '7', ...profile], io), io.err()).toBe(0);
    expect(io.out()).toContain('OK: entry 7 is in the log signed at tree size 33');
    const chosen = captureIo(dir);
    expect(
      await run(['audit', 'prove', '--entry', '20', '--tree-size', '20', '--json', ...profile], chosen),
    ).toBe(0);
    expect(JSON.parse(chosen.out())).toMatchObject({ ok: true, sequence: 20, treeSize: 20 });
  });

  it('refuses a changed proof hash, another entry, and a key it does not trust', async () => {
    await sequence(33, 0);
    tamper = (path, body) => {
      if (path !== '/v1/audit/proofs/inclusion') return body;
      const hashes = [...(body.hashes as string[])];
      hashes[1] = `${hashes[1]!.slice(0, 63)}${hashes[1]!.endsWith('0') ? '1' : '0'}`;
      return { ...body, hashes };
    };
    const io = captureIo(dir);
    expect(await run(['audit', 'prove', '--entry', '7', ...profile], io)).toBe(1);
    expect(io.out()).toContain('FAILED: bad-proof for entry 7');

    // A platform that answers with the proof of another entry.
    tamper = (path, body) => (path === '/v1/audit/proofs/inclusion' ? { ...body, ...proofOf8 } : body);
    const proofOf8 = await service.inclusionProof({ sequence: 8 });
    const other = captureIo(dir);
    expect(await run(['audit', 'prove', '--entry', '7', '--json', ...profile], other)).toBe(1);
    expect(JSON.parse(other.out())).toMatchObject({
      ok: false,
      detail: 'the platform answered with another entry',
    });

    tamper = undefined;
    writeFileSync(
      join(dir, 'other-key.txt'),
      `${Ed25519Signer.fromSeed(ORIGIN, new Uint8Array(32).fill(8)).verifierKey()}\n`,
    );
    const untrusted = captureIo(dir);
    expect(
      await run(['audit', 'prove', '--entry', '7', ...profile, '--key', 'other-key.txt'], untrusted),
    ).toBe(0);
    const only = captureIo(dir);
    const args = [
      'audit',
      'prove',
      '--entry',
      '7',
      '--profile',
      'dpo',
      '--profiles',
      'profiles.json',
      '--key',
      'other-key.txt',
    ];
    expect(await run(args, only)).toBe(1);
    expect(only.out()).toContain('FAILED: bad-signature');
  });

  it('names the field the API refuses, and usage errors here', async () => {
    await sequence(5, 0);
    const io = captureIo(dir);
    expect(await run(['audit', 'prove', '--entry', '3', '--tree-size', '4', ...profile], io)).toBe(1);
    expect(io.err()).toContain('query.treeSize: is not the tree size of a signed checkpoint');
    const usage = captureIo(dir);
    expect(await run(['audit', 'prove', '--entry', 'x', ...profile], usage)).toBe(2);
  });
});

/** An export of the whole log as rex audit export writes it: entries and every checkpoint. */
function writeExport(name: string) {
  const entries = store.entriesInOrder();
  writeFileSync(join(dir, `${name}.ndjson`), entries.map((e) => `${canonicalize(e)}\n`).join(''));
  const notes = [...store.checkpointsBySize.values()]
    .sort((a, b) => a.treeSize - b.treeSize)
    .map((c) => c.note);
  writeFileSync(join(dir, `${name}.checkpoints.txt`), notes.join('---\n'));
}

const verify = (name: string, ...extra: string[]) => [
  'audit',
  'verify',
  '--entries',
  `${name}.ndjson`,
  '--checkpoints',
  `${name}.checkpoints.txt`,
  '--key',
  'key.txt',
  '--profile',
  'dpo',
  ...extra,
];

describe('remembered checkpoints', () => {
  it('are kept by verify, checked against later exports, and extended by consistency', async () => {
    await sequence(10, 0);
    writeExport('first');
    const first = captureIo(dir);
    expect(await run(verify('first'), first), first.out() + first.err()).toBe(0);
    const file = join(dir, '.local', 'audit', 'dpo', 'rex.test%2Faudit.checkpoints');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(`${ORIGIN}\n10\n`);

    await sequence(15, 10);
    writeExport('second');
    const second = captureIo(dir);
    expect(await run(verify('second'), second)).toBe(0);
    expect(second.out()).toContain('1 checkpoint(s) seen before agree with this log; 2 remembered');

    await sequence(5, 25);
    const consistent = captureIo(dir);
    expect(await run(['audit', 'consistency', ...profile], consistent), consistent.err()).toBe(0);
    expect(consistent.out()).toContain('OK: the log at tree size 30 extends all 2 older checkpoint(s)');
    expect(consistent.out()).toContain('3 checkpoints remembered');
  });

  it('catch a history rewritten and re-signed since: by verify and by consistency', async () => {
    await sequence(10, 0);
    writeExport('first');
    expect(await run(verify('first'), captureIo(dir))).toBe(0);
    const kept = join(dir, 'first.checkpoints.txt');

    // The platform rewrites entry 4 and re-signs everything with its key.
    const forged = drafts(14).map((d, i) => (i === 3 ? { ...d, purpose: 'other-purpose' } : d));
    const { entries, head } = sequenceDrafts(null, forged);
    const note = await signCheckpoint(checkpointOfHead(ORIGIN, head, clock.now()), signer);
    writeFileSync(join(dir, 'forged.ndjson'), entries.map((e) => `${canonicalize(e)}\n`).join(''));
    writeFileSync(join(dir, 'forged.checkpoints.txt'), note);
    const io = captureIo(dir);
    expect(await run(verify('forged'), io)).toBe(1);
    expect(io.out()).toContain('FAILED: checkpoint-mismatch at sequence 10');
    expect(io.out()).toContain('was remembered from an earlier verification');
    // Without the memory the forgery holds up in itself: that is what remembering is for.
    expect(await run(verify('forged', '--no-remember'), captureIo(dir))).toBe(0);

    // The same against the API: the platform's tree now has the forged history.
    const forgedStore = new MemoryAuditStore();
    for (const d of forged) forgedStore.addDraft(d);
    store = forgedStore;
    service = new AuditService({
      store,
      writer: store,
      signer: async () => signer,
      secret: async () => Buffer.alloc(32, 1),
      names: () => ({ office: () => undefined, authority: () => undefined }),
      sequenceBucketSize: 10_000,
      clock,
    });
    await runSequencer({ store, signer: async () => signer, origin: ORIGIN, clock }, { hasTime: () => true });
    await sequence(1, 14);
    const consistency = captureIo(dir);
    expect(
      await run(
        ['audit', 'consistency', '--from-checkpoint', kept, '--no-remember', ...profile],
        consistency,
      ),
    ).toBe(1);
    expect(consistency.out()).toContain('10 → 15: FAILED');
    const remembered = captureIo(dir);
    expect(await run(['audit', 'consistency', ...profile], remembered)).toBe(1);
  });

  it('find a shrunk log and need something to compare', async () => {
    await sequence(10, 0);
    writeExport('first');
    expect(await run(verify('first'), captureIo(dir))).toBe(0);
    store.checkpointsBySize.clear();
    const shorter = sequenceDrafts(null, drafts(6));
    store.checkpointsBySize.set(6, {
      ...checkpointOfHead(ORIGIN, shorter.head, clock.now()),
      note: await signCheckpoint(checkpointOfHead(ORIGIN, shorter.head, clock.now()), signer),
      keyName: ORIGIN,
      verifierKey: signer.verifierKey(),
      merkleFrontier: shorter.head.frontier,
    });
    const io = captureIo(dir);
    expect(await run(['audit', 'consistency', ...profile], io)).toBe(1);
    expect(io.out()).toContain('it shrank');
    const none = captureIo(dir);
    expect(await run(['audit', 'consistency', '--no-remember', ...profile], none)).toBe(2);
  });
});

describe('rex audit witness', () => {
  const witness = (...extra: string[]) => ['audit', 'witness', '--state', 'witness', ...profile, ...extra];

  it('cosigns the newest checkpoint when it extends the last one, and verify can require it', async () => {
    await sequence(10, 0);
    const none = captureIo(dir);
    expect(await run(witness(), none)).toBe(2);
    expect(none.err()).toContain('--name');
    const first = captureIo(dir);
    expect(await run(witness('--name', 'lfd.example/witness'), first), first.err()).toBe(0);
    expect(first.out()).toContain(
      'COSIGNED: tree size 10 of rex.test/audit (the first checkpoint this witness sees)',
    );
    await sequence(15, 10);
    const second = captureIo(dir);
    expect(await run(witness(), second), second.err()).toBe(0);
    expect(second.out()).toContain('COSIGNED: tree size 25 of rex.test/audit, consistent with 10');
    const cosigned = join('witness', 'rex.test%2Faudit.cosigned');
    expect(readFileSync(join(dir, cosigned), 'utf8').match(/— lfd\.example\/witness /g)).toHaveLength(2);

    writeExport('log');
    const args = [
      ...verify('log', '--no-remember'),
      '--checkpoints',
      cosigned,
      '--witness',
      'witness/witness-key.txt',
    ];
    const ok = captureIo(dir);
    expect(await run(args, ok), ok.out() + ok.err()).toBe(0);
    expect(ok.out()).toContain('witnessed            up to tree size 25 by lfd.example/witness');
    // Without the witness's file no checkpoint is cosigned.
    const unwitnessed = captureIo(dir);
    expect(
      await run([...verify('log', '--no-remember'), '--witness', 'witness/witness-key.txt'], unwitnessed),
    ).toBe(1);
    expect(unwitnessed.out()).toContain('FAILED: bad-signature at sequence 25');
    expect(unwitnessed.out()).toContain('no checkpoint carries 1 witness cosignature(s)');
    // Two required, one trusted: wrong usage; two trusted, one cosigned: refused.
    expect(await run([...args, '--witnesses', '2'], captureIo(dir))).toBe(2);
    const other = captureIo(dir);
    expect(
      await run(
        ['audit', 'witness', '--state', 'witness-b', '--name', 'district-b.example/w', ...profile],
        other,
      ),
    ).toBe(0);
    const two = captureIo(dir);
    expect(await run([...args, '--witness', 'witness-b/witness-key.txt', '--witnesses', '2'], two)).toBe(1);
    expect(two.out()).toContain('no checkpoint carries 2 witness cosignature(s) (at most 1)');
    const both = captureIo(dir);
    const withB = [
      ...args,
      '--checkpoints',
      join('witness-b', 'rex.test%2Faudit.cosigned'),
      '--witness',
      'witness-b/witness-key.txt',
    ];
    expect(await run([...withB, '--witnesses', '2'], both), both.out()).toBe(0);
    expect(both.out()).toContain('by lfd.example/witness, district-b.example/w');
  });

  it('refuses to cosign a rewritten history and keeps its last checkpoint', async () => {
    await sequence(10, 0);
    expect(await run(witness('--name', 'lfd.example/witness'), captureIo(dir))).toBe(0);
    const last = readFileSync(join(dir, 'witness', 'rex.test%2Faudit.last'), 'utf8');
    const forged = drafts(14).map((d, i) => (i === 3 ? { ...d, purpose: 'other-purpose' } : d));
    store = new MemoryAuditStore();
    service = new AuditService({
      store,
      writer: store,
      signer: async () => signer,
      secret: async () => Buffer.alloc(32, 1),
      names: () => ({ office: () => undefined, authority: () => undefined }),
      sequenceBucketSize: 10_000,
      clock,
    });
    // The forger signs checkpoints at 10 and 14, so that a proof from 10 can be asked for.
    for (const d of forged.slice(0, 10)) store.addDraft(d);
    await runSequencer({ store, signer: async () => signer, origin: ORIGIN, clock }, { hasTime: () => true });
    for (const d of forged.slice(10)) store.addDraft(d);
    await runSequencer({ store, signer: async () => signer, origin: ORIGIN, clock }, { hasTime: () => true });
    expect([...store.checkpointsBySize.keys()].sort((a, b) => a - b)).toEqual([10, 14]);
    const io = captureIo(dir);
    expect(await run(witness(), io)).toBe(1);
    expect(io.out()).toContain('REFUSED: tree size 14 is not cosigned');
    expect(readFileSync(join(dir, 'witness', 'rex.test%2Faudit.last'), 'utf8')).toBe(last);
  });
});
