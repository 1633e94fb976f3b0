import * as fc from 'fast-check';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { AUDIT_EVENTS, auditDraft } from '#shared/domain/audit/entry.ts';

const BASE = Date.parse('2026-11-02T08:00:00.000Z');

/** A deterministic, valid draft; `i` varies ids and time. */
export function draft(i: number, overrides: Partial<AuditEntryDraft> = {}): AuditEntryDraft {
  return {
    ...auditDraft({
      entryId: `e-${String(i).padStart(6, '0')}`,
      time: new Date(BASE + i * 1000),
      event: AUDIT_EVENTS[i % AUDIT_EVENTS.length]!,
      actor: 'authority:abh-karlsruhe',
      subjectId: `psn-${String(i % 7).padStart(20, '0')}`,
      authorityId: 'abh-karlsruhe',
      serviceOfficeId: i % 3 === 0 ? null : 'mbe-caritas-karlsruhe',
      dataCategories: ['identity', 'contact'],
      consentId: `consent-${i % 5}`,
      purpose: 'migration-counselling',
      referralId: `referral-${i}`,
    }),
    ...overrides,
  };
}

export const drafts = (n: number, from = 0): AuditEntryDraft[] =>
  Array.from({ length: n }, (_, i) => draft(from + i));

const id = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
const code = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);

/** Arbitrary valid drafts (time within one day, so that order varies). */
export const draftArb: fc.Arbitrary<AuditEntryDraft> = fc.record({
  entryId: fc.uuid(),
  time: fc.integer({ min: 0, max: 86_400_000 }).map((ms) => new Date(BASE + ms).toISOString()),
  event: fc.constantFrom(...AUDIT_EVENTS),
  actor: fc.oneof(
    id.map((x) => `authority:${x}`),
    id.map((x) => `service:${x}`),
    fc.constant('operator'),
    fc.constant('system:sequencer'),
  ),
  subjectId: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), { nil: null }),
  authorityId: fc.option(id, { nil: null }),
  serviceOfficeId: fc.option(id, { nil: null }),
  dataCategories: fc.uniqueArray(code, { maxLength: 4 }).map((a) => [...a].sort()),
  legalBasis: fc.option(
    fc.uuid().map((consentId) => ({ article: 'GDPR Art. 6(1)(a)' as const, consentId })),
    { nil: null },
  ),
  purpose: fc.option(code, { nil: null }),
  referralId: fc.option(fc.uuid(), { nil: null }),
  reason: fc.option(code, { nil: null }),
});
