import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { type RexRun, runRex } from '#test/support/rex-cli.ts';
import { consentRequest, randomAzrNumber } from '#test/support/sample-requests.ts';

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const DPO = 'dpo:lk-karlsruhe';
const PROFILE = 'dpo-lk-karlsruhe';
const CONSENTS = 6;

describe('rex audit export against the local platform', () => {
  let platform: RunningPlatform;
  let work: string;
  let treeSize = 0;

  const rex = (args: string[]): Promise<RexRun> =>
    runRex(args, { cwd: work, profiles: platform.credentialsFile });

  const verify = (dir: string) =>
    rex([
      'audit',
      'verify',
      '--entries',
      join(dir, 'entries.ndjson'),
      '--checkpoints',
      join(dir, 'checkpoints.txt'),
      '--key',
      join(dir, 'verifier-key.txt'),
    ]);

  beforeAll(async () => {
    platform = await startLocalPlatform();
    work = mkdtempSync(join(tmpdir(), 'rex-export-'));
    for (let i = 0; i < CONSENTS; i++) {
      const res = await platform.request(AUTHORITY, '/v1/consents', {
        method: 'POST',
        headers: { 'idempotency-key': randomUUID() },
        body: consentRequest(
          { azrNumber: randomAzrNumber(), dateOfBirth: '1990-05-17' },
          {
            scope: { serviceTypes: ['MBE'], providerIds: [] },
            purposes: ['migration-counselling'],
            dataCategories: ['identity', 'contact'],
          },
        ),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    // The sequencer runs every 2 s locally: wait until a signed checkpoint covers the consents.
    const deadline = Date.now() + 30_000;
    while (treeSize < CONSENTS) {
      if (Date.now() > deadline) throw new Error('no checkpoint covers the consents');
      const res = await platform.request(DPO, '/v1/audit/checkpoints/latest');
      if (res.status === 200) treeSize = ((await res.json()) as { treeSize: number }).treeSize;
      if (treeSize < CONSENTS) await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    await platform?.interrupt();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exports NDJSON with checkpoint and key that rex audit verify accepts, and names a tampered line', async () => {
    const dir = join(work, 'full');
    const run = await rex([
      'audit',
      'export',
      '--profile',
      PROFILE,
      '--format',
      'ndjson',
      '--out',
      dir,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/export \S+ recorded \(export\.made\)/);
    expect(run.stderr).toMatch(/downloaded \d+ entries/);
    const summary = JSON.parse(run.stdout) as { entries: number; firstSequence: number; verifiable: boolean };
    expect(summary).toMatchObject({ firstSequence: 1, verifiable: true });
    expect(summary.entries).toBeGreaterThanOrEqual(treeSize);
    const lines = readFileSync(join(dir, 'entries.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { sequence: number }).sequence)).toEqual(
      Array.from({ length: lines.length }, (_, i) => i + 1),
    );
    expect(readFileSync(join(dir, 'checkpoints.txt'), 'utf8')).toMatch(/^referral-exchange\/\S+\n\d+\n/);
    expect(readFileSync(join(dir, 'verifier-key.txt'), 'utf8')).toMatch(/\n\S+\+[0-9a-f]{8}\+\S+\n$/);

    const ok = await verify(dir);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`OK: ${lines.length} entries verified`);

    // The export is itself in the log, as the DPO's act (listed once the sequencer has
    // chained it, every 2 s on the local platform).
    const deadline = Date.now() + 20_000;
    let actors: string[] = [];
    while (!actors.includes(DPO) && Date.now() < deadline) {
      const made = await platform.request(DPO, '/v1/audit/events?event=export.made');
      actors = ((await made.json()) as { items: { entry: { actor: string } }[] }).items.map(
        (i) => i.entry.actor,
      );
      if (!actors.includes(DPO)) await new Promise((r) => setTimeout(r, 250));
    }
    expect(actors).toContain(DPO);

    lines[2] = lines[2]!.replace('"consent.recorded"', '"consent.withdrawn"');
    writeFileSync(join(dir, 'entries.ndjson'), `${lines.join('\n')}\n`);
    const tampered = await verify(dir);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('FAILED: modified at sequence 3 (line 3)');
  });

  it('exports CSV of a time range, RFC 4180, for reading', async () => {
    const dir = join(work, 'csv');
    const from = new Date(Date.now() - 3_600_000 * 2).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const run = await rex([
      'audit',
      'export',
      '--profile',
      PROFILE,
      '--format',
      'csv',
      '--from',
      from,
      '--to',
      to,
      '--out',
      dir,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('A time-bounded export is for reading');
    expect(run.stderr).toMatch(/\d+ in the time range/);
    const rows = readFileSync(join(dir, 'entries.csv'), 'utf8').split('\r\n');
    expect(rows[0]).toBe(
      'sequence,time,entryId,event,actor,subjectId,authorityId,serviceOfficeId,dataCategories,legalBasisArticle,consentId,purpose,referralId,reason,previousHash,hash',
    );
    const consent = rows.find((r) => r.includes(',consent.recorded,'))!;
    // The article has a comma-free text but parentheses; categories are joined by ";".
    expect(consent).toContain(',contact;identity,GDPR Art. 6(1)(a),');
    expect(rows.length).toBeGreaterThanOrEqual(CONSENTS + 2);

    const empty = await rex([
      'audit',
      'export',
      '--profile',
      PROFILE,
      '--from',
      to,
      '--out',
      join(work, 'later'),
    ]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(readFileSync(join(work, 'later', 'entries.ndjson'), 'utf8')).toBe('');
  });

  it('refuses wrong usage with exit code 2', async () => {
    expect(
      (await rex(['audit', 'export', '--profile', PROFILE, '--out', work, '--format', 'xml'])).code,
    ).toBe(2);
    expect((await rex(['audit', 'export', '--profile', PROFILE])).code).toBe(2);
    expect(
      (await rex(['audit', 'export', '--profile', PROFILE, '--out', work, '--from', 'yesterday'])).code,
    ).toBe(2);
  });
});
