/**
 * The access report of a subject (GDPR Art. 15) as data: which service offices
 * actually received which data categories, when and on which consent, with the
 * consents and the log entries behind it. Pure; the DPO service reads the entries
 * and the HTTP layer renders the report (shared/http/access-report-html.ts).
 */
import type { AccessReport, AuditEventItem } from '#shared/schemas/audit.ts';
import type { DirectoryNames, StoredAuditItem } from './ports.ts';

const byTime = (a: StoredAuditItem, b: StoredAuditItem): number =>
  a.entry.time < b.entry.time
    ? -1
    : a.entry.time > b.entry.time
      ? 1
      : a.entry.entryId < b.entry.entryId
        ? -1
        : 1;

export function eventItem(item: StoredAuditItem): AuditEventItem {
  return { sequenced: item.sequenced, entry: item.entry };
}

/**
 * The Art. 15 report from a subject's entries (pure). Recipients are the service
 * offices that actually received the data: `referral.received` is when a transfer
 * completes (receipt before decryption, DESIGN.md §4), so accepted or queued
 * referrals that were revoked before receipt name no recipient. Erasures are the
 * recipients an erasure was communicated to (Art. 19: `referral.erasure-requested`),
 * with their reminders and when each confirmed (`referral.erasure-confirmed`).
 */
export function buildAccessReport(input: {
  readonly reportId: string;
  readonly subjectId: string;
  readonly generatedAt: string;
  readonly generatedBy: string;
  readonly items: readonly StoredAuditItem[];
  readonly names: DirectoryNames;
  readonly signedTreeSize: number;
}): AccessReport {
  const items = [...input.items].sort(byTime);
  const recipients: AccessReport['recipients'] = [];
  const erasures = new Map<
    string,
    { -readonly [K in keyof AccessReport['erasures'][number]]: AccessReport['erasures'][number][K] }
  >();
  const consents = new Map<string, AccessReport['consents'][number]>();
  const consentOf = (id: string) => {
    let c = consents.get(id);
    if (!c) {
      c = {
        consentId: id,
        status: 'active',
        recordedAt: null,
        authorityId: null,
        dataCategories: [],
        purpose: null,
        withdrawnAt: null,
        withdrawalReason: null,
        expiredAt: null,
      };
      consents.set(id, c);
    }
    return c;
  };
  for (const { entry } of items) {
    const consentId = entry.legalBasis?.consentId ?? null;
    if (entry.event === 'referral.received') {
      const office = entry.serviceOfficeId ? input.names.office(entry.serviceOfficeId) : undefined;
      recipients.push({
        serviceOfficeId: entry.serviceOfficeId,
        serviceOfficeName: office?.name ?? null,
        providerName: office?.providerName ?? null,
        authorityId: entry.authorityId,
        referralId: entry.referralId,
        receivedAt: entry.time,
        dataCategories: [...entry.dataCategories],
        consentId,
        purpose: entry.purpose,
        sequence: 'sequence' in entry ? entry.sequence : null,
      });
    } else if (entry.event === 'referral.erasure-requested' && entry.referralId) {
      // To whom the erasure was communicated (Art. 19): one office, one referral.
      const office = entry.serviceOfficeId ? input.names.office(entry.serviceOfficeId) : undefined;
      if (!erasures.has(entry.referralId))
        erasures.set(entry.referralId, {
          serviceOfficeId: entry.serviceOfficeId,
          serviceOfficeName: office?.name ?? null,
          providerName: office?.providerName ?? null,
          referralId: entry.referralId,
          consentId,
          reason: entry.reason,
          requestedAt: entry.time,
          reminders: 0,
          confirmedAt: null,
        });
    } else if (entry.event === 'referral.erasure-reminded' && entry.referralId) {
      const e = erasures.get(entry.referralId);
      if (e) e.reminders++;
    } else if (entry.event === 'referral.erasure-confirmed' && entry.referralId) {
      const e = erasures.get(entry.referralId);
      if (e && e.confirmedAt === null) e.confirmedAt = entry.time;
    } else if (consentId && entry.event === 'consent.recorded') {
      const c = consentOf(consentId);
      c.recordedAt = entry.time;
      c.authorityId = entry.authorityId;
      c.dataCategories = [...entry.dataCategories];
      c.purpose = entry.purpose;
    } else if (consentId && entry.event === 'consent.withdrawn') {
      const c = consentOf(consentId);
      c.status = 'withdrawn';
      c.withdrawnAt = entry.time;
      c.withdrawalReason = entry.reason;
    } else if (consentId && entry.event === 'consent.expired') {
      const c = consentOf(consentId);
      if (c.status !== 'withdrawn') c.status = 'expired';
      c.expiredAt = entry.time;
    }
  }
  return {
    reportId: input.reportId,
    subjectId: input.subjectId,
    generatedAt: input.generatedAt,
    generatedBy: input.generatedBy,
    recipients,
    consents: [...consents.values()],
    erasures: [...erasures.values()],
    events: items.map(eventItem),
    signedTreeSize: input.signedTreeSize,
  };
}
