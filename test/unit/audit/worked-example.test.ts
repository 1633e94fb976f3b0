import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { parseNdjsonEntries, verifyLog } from '#shared/domain/audit/verify.ts';
import { workedExample } from './worked-example.ts';

const doc = readFileSync(new URL('../../../docs/audit-format.md', import.meta.url), 'utf8');

describe('the worked example of docs/audit-format.md', () => {
  it('shows exactly what the code produces', async () => {
    const ex = await workedExample();
    for (const entry of ex.entries) {
      expect(doc).toContain(canonicalize(entry));
      expect(doc).toContain(entry.hash);
    }
    expect(doc).toContain(ex.hashInputs[0]!);
    expect(doc).toContain(ex.head.frontier.hashes[0]!);
    expect(doc).toContain(ex.rootHex);
    expect(doc).toContain(ex.note.trimEnd());
    expect(doc).toContain(ex.verifierKey);
    expect(doc).toContain(`key id \`${ex.verifierKey.split('+')[1]}\``);
  });

  it('verifies from the text of the page alone', async () => {
    const lines = doc.split('\n').filter((line) => line.startsWith('{"actor"') && line.includes('"hash":'));
    expect(lines).toHaveLength(3);
    const note = /```\n(rex\.example\/audit\n3\n[\s\S]*?\n)```/.exec(doc)?.[1];
    const key = /```\n(rex\.example\/audit\+[0-9a-f]{8}\+\S+)\n```/.exec(doc)?.[1];
    expect(note).toBeDefined();
    expect(key).toBeDefined();
    const result = await verifyLog(parseNdjsonEntries(lines), { checkpoints: [note!], verifierKey: key! });
    expect(result).toMatchObject({ ok: true, entries: 3, checkpointsMatched: 1, signedTreeSize: 3 });
    const tampered = lines.map((l) => l.replace('"referral.received"', '"referral.declined"'));
    const refused = await verifyLog(parseNdjsonEntries(tampered), {
      checkpoints: [note!],
      verifierKey: key!,
    });
    expect(refused).toMatchObject({ ok: false, problem: { kind: 'modified', sequence: 3 } });
  });
});
