/**
 * Section 5a: verification of an exported audit log (NDJSON in the export format:
 * one JCS line per entry, made once with sequenceDrafts) with verifyNdjson, the
 * verifier of `rex audit verify`, against raw SHA-256 over the same lines, in the
 * same process.
 * Runs in its own process (the log is held in memory). Prints one JSON line.
 */
import { hash } from 'node:crypto';
import { median, round } from '#bench/lib/stats.ts';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { headRoot, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import { verifyNdjson } from '#shared/domain/audit/fast-verify.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 3);
const CHUNK = 10_000;

/**
 * Every member name of an entry (and of `legalBasis`) in JCS order: with this list
 * JSON.stringify writes the members in that order, which for these ASCII entries is
 * RFC 8785 — the export format.
 */
const JCS_ORDER = [
  'actor',
  'article',
  'authorityId',
  'consentId',
  'dataCategories',
  'entryId',
  'event',
  'hash',
  'legalBasis',
  'previousHash',
  'purpose',
  'reason',
  'referralId',
  'sequence',
  'serviceOfficeId',
  'subjectId',
  'time',
];

// The export, built in chunks so that no more than one chunk of entry objects is alive.
const started = performance.now();
const parts: Buffer[] = [];
let head = null as Parameters<typeof sequenceDrafts>[0];
const base = Date.parse('2026-01-01T00:00:00Z');
for (let made = 0; made < total; made += CHUNK) {
  const drafts: AuditEntryDraft[] = [];
  for (let i = made; i < Math.min(total, made + CHUNK); i++) {
    drafts.push(
      auditDraft({
        time: new Date(base + i * 1000).toISOString(),
        event: i % 3 === 0 ? 'referral.accepted' : i % 3 === 1 ? 'referral.queued' : 'consent.recorded',
        actor: 'authority:abh-lk-karlsruhe',
        subjectId: hash('sha256', String(i), 'hex'),
        authorityId: 'abh-lk-karlsruhe',
        serviceOfficeId: 'mbe-bruchsal',
        dataCategories: ['identity', 'contact', 'address'],
        consentId: `cns_${String(i).padStart(26, '0')}`,
        purpose: 'migration-counselling',
        referralId: `ref_${String(i).padStart(26, '0')}`,
      }),
    );
  }
  const out = sequenceDrafts(head, drafts);
  head = out.head;
  const lines = out.entries.map((e) => JSON.stringify(e, JCS_ORDER));
  // The same bytes as the general JCS serialiser (checked on the first chunk; it is slow for a million).
  if (made === 0 && lines.some((line, i) => line !== canonicalize(out.entries[i]))) {
    throw new Error('the export lines are not JCS');
  }
  parts.push(Buffer.from(`${lines.join('\n')}\n`));
}
const ndjson = Buffer.concat(parts);
parts.length = 0;
const generateSeconds = (performance.now() - started) / 1000;

function verifyOnce(): number {
  const t = performance.now();
  const result = verifyNdjson(ndjson, { checkpoints: [], verifierKey: [] });
  if (
    !result.ok ||
    result.entries !== total ||
    result.headHash !== head!.hash ||
    result.rootHash !== headRoot(head!).toString('hex')
  ) {
    throw new Error(`verification failed: ${JSON.stringify(result)}`);
  }
  return (performance.now() - t) / 1000;
}

function hashOnce(): number {
  const t = performance.now();
  let start = 0;
  let n = 0;
  for (let end = ndjson.indexOf(10, start); end !== -1; end = ndjson.indexOf(10, start)) {
    hash('sha256', ndjson.subarray(start, end), 'hex');
    start = end + 1;
    n++;
  }
  if (n !== total) throw new Error('line count differs');
  return (performance.now() - t) / 1000;
}

const verifyRates: number[] = [];
const hashRates: number[] = [];
for (let r = 0; r < rounds; r++) {
  hashRates.push(total / hashOnce());
  verifyRates.push(total / verifyOnce());
}
const verify = median(verifyRates);
const raw = median(hashRates);
console.log(
  JSON.stringify({
    entries: total,
    bytes: ndjson.length,
    generateSeconds: round(generateSeconds, 1),
    verifyEntriesPerSecond: Math.round(verify),
    rawSha256LinesPerSecond: Math.round(raw),
    ratio: round(verify / raw, 3),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 0),
  }),
);
