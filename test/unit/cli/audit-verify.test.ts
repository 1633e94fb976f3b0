import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCheckpointsFile, verifierKeys } from '#cli/commands/audit.ts';
import { run } from '#cli/rex.ts';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  checkpointOfHead,
  Ed25519Signer,
  signCheckpoint,
  verifierKeyOf,
} from '#shared/domain/audit/checkpoint.ts';
import { drafts } from '#test/unit/audit/fixtures.ts';
import { captureIo } from './support.ts';

const ORIGIN = 'rex.test/audit';
const signer = Ed25519Signer.fromSeed(ORIGIN, new Uint8Array(32).fill(7));
let dir: string;

async function writeLog(n: number, checkpointAt: number[]) {
  const all = sequenceDrafts(null, drafts(n));
  const notes: string[] = [];
  for (const size of checkpointAt) {
    const head = sequenceDrafts(null, drafts(size)).head;
    notes.push(await signCheckpoint(checkpointOfHead(ORIGIN, head, '2026-11-03T00:00:00.000Z'), signer));
  }
  writeFileSync(join(dir, 'entries.ndjson'), `${all.entries.map((e) => JSON.stringify(e)).join('\n')}\n`);
  writeFileSync(join(dir, 'checkpoints.txt'), notes.join('---\n'));
  writeFileSync(join(dir, 'key.txt'), `# the log key\n${await verifierKeyOf(signer)}\n`);
  return all.entries;
}

const args = [
  'audit',
  'verify',
  '--entries',
  'entries.ndjson',
  '--checkpoints',
  'checkpoints.txt',
  '--key',
  'key.txt',
];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-verify-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('rex audit verify', () => {
  it('prints OK with counts and the verified checkpoint', async () => {
    await writeLog(10, [4, 8]);
    const io = captureIo(dir);
    expect(await run(args, io)).toBe(0);
    expect(io.out()).toContain('OK: 10 entries verified (sequence 1–10)');
    expect(io.out()).toContain('checkpoints matched  2 of 2');
    expect(io.out()).toContain('entries 9–10 are chained but not yet signed');
  });

  it('shows progress on stderr: lines when piped, one rewritten line on a terminal', async () => {
    await writeLog(6, [6]);
    const piped = captureIo(dir);
    expect(await run([...args, '--progress-every', '2'], piped)).toBe(0);
    expect(piped.err()).toBe('verified 2 entries\nverified 4 entries\nverified 6 entries\n');
    const tty = captureIo(dir, {}, { tty: true });
    expect(await run([...args, '--progress-every', '2'], tty)).toBe(0);
    expect(tty.err()).toContain('\rverified 2 entries\rverified 4 entries');
    expect(tty.err()).not.toContain('\n');
  });

  it('names kind, sequence and line of the first problem and exits 1', async () => {
    const entries = await writeLog(5, [5]);
    const lines = entries.map((e) => JSON.stringify(e));
    lines[2] = lines[2]!.replace('"migration-counselling"', '"something-else"');
    writeFileSync(join(dir, 'entries.ndjson'), `${lines.join('\n')}\n`);
    const io = captureIo(dir);
    expect(await run([...args, '--json'], io)).toBe(1);
    expect(JSON.parse(io.out())).toMatchObject({
      ok: false,
      problem: { kind: 'modified', sequence: 3, line: 3 },
    });

    writeFileSync(join(dir, 'entries.ndjson'), `${lines[0]}\nnot json\n`);
    const malformed = captureIo(dir);
    expect(await run(args, malformed)).toBe(1);
    expect(malformed.out()).toContain('FAILED: malformed at sequence 2 (line 2)');
  });

  it('refuses checkpoints signed by another key', async () => {
    await writeLog(3, [3]);
    const other = await verifierKeyOf(Ed25519Signer.fromSeed(ORIGIN, new Uint8Array(32).fill(9)));
    const io = captureIo(dir);
    expect(await run([...args.slice(0, -2), '--key', other], io)).toBe(1);
    expect(io.out()).toContain('FAILED: bad-signature');
  });

  it('exits 1 for a missing file and 2 for a missing option', async () => {
    const io = captureIo(dir);
    expect(await run(args, io)).toBe(1);
    expect(await run(['audit', 'verify', '--entries', 'x'], captureIo(dir))).toBe(2);
  });
});

describe('checkpoint and key files', () => {
  it('splits notes at --- lines and finds the anchor', () => {
    const anchor = { sequence: 4, hash: 'a'.repeat(64) };
    const text = `o\n1\nroot\n\n— o sig\n---\n${JSON.stringify(anchor)}\n---\n\no\n2\nroot\n\n— o sig\n\n`;
    const parsed = parseCheckpointsFile(text);
    expect(parsed.notes).toEqual(['o\n1\nroot\n\n— o sig\n', 'o\n2\nroot\n\n— o sig\n']);
    expect(parsed.anchor).toEqual(anchor);
  });

  it('takes a verifier key literally or from a file', async () => {
    const key = await verifierKeyOf(signer);
    writeFileSync(join(dir, 'keys'), `${key}\n\n# comment\n${key}\n`);
    expect(verifierKeys([key], dir)).toEqual([key]);
    expect(verifierKeys(['keys'], dir)).toEqual([key, key]);
  });
});
