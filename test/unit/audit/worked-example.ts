import { createHash } from 'node:crypto';
import type { ChainHead } from '#shared/domain/audit/chain.ts';
import {
  ENTRY_HASH_PREFIX,
  entryCanonicalText,
  MerkleFrontier,
  sequenceDrafts,
} from '#shared/domain/audit/chain.ts';
import { checkpointOfHead, Ed25519Signer, signCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';

/** The three-entry log of docs/audit-format.md §Worked example, rebuilt from scratch. */
export async function workedExample(): Promise<{
  entries: AuditEntry[];
  hashInputs: string[];
  head: ChainHead;
  rootHex: string;
  note: string;
  verifierKey: string;
}> {
  const subjectId = 'Kx7mQ2vR9tLp4wZs8nB3cD6fH1jY5uE0aG2iO4kM7qT';
  const common = { subjectId, authorityId: 'abh-karlsruhe', referralId: '01JC8Z3M5N6P7Q8R9S0T1V2W3X' };
  const drafts = [
    auditDraft({
      ...common,
      entryId: '01JC8Z3M5N6P7Q8R9S0T1V2W3A',
      time: '2026-11-02T09:15:00.000Z',
      event: 'consent.recorded',
      actor: 'authority:abh-karlsruhe',
      dataCategories: ['contact', 'identity', 'residence-status'],
      consentId: '01JC8Z2K4L5M6N7P8Q9R0S1T2U',
      purpose: 'migration-counselling',
      referralId: null,
    }),
    auditDraft({
      ...common,
      entryId: '01JC8Z3M5N6P7Q8R9S0T1V2W3B',
      time: '2026-11-02T09:15:02.250Z',
      event: 'referral.accepted',
      actor: 'authority:abh-karlsruhe',
      serviceOfficeId: 'mbe-caritas-karlsruhe',
      dataCategories: ['contact', 'identity', 'residence-status'],
      consentId: '01JC8Z2K4L5M6N7P8Q9R0S1T2U',
      purpose: 'migration-counselling',
    }),
    auditDraft({
      ...common,
      entryId: '01JC8Z3M5N6P7Q8R9S0T1V2W3C',
      time: '2026-11-02T10:40:31.007Z',
      event: 'referral.received',
      actor: 'service:mbe-caritas-karlsruhe',
      serviceOfficeId: 'mbe-caritas-karlsruhe',
      dataCategories: ['contact', 'identity', 'residence-status'],
      consentId: '01JC8Z2K4L5M6N7P8Q9R0S1T2U',
      purpose: 'migration-counselling',
    }),
  ];
  const { entries, head } = sequenceDrafts(null, drafts);
  const hashInputs = entries.map((e) => ENTRY_HASH_PREFIX + entryCanonicalText(e));
  const frontier = MerkleFrontier.fromJSON(head.frontier);
  // A published example key: never use it for a real log.
  const seed = createHash('sha256').update('rex-audit-format example key').digest();
  const signer = Ed25519Signer.fromSeed('rex.example/audit', seed);
  const note = await signCheckpoint(
    checkpointOfHead('rex.example/audit', head, '2026-11-02T11:00:00.000Z'),
    signer,
  );
  return {
    entries,
    hashInputs,
    head,
    rootHex: frontier.root().toString('hex'),
    note,
    verifierKey: signer.verifierKey(),
  };
}
