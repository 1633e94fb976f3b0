import { beforeAll, describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { emptyKeySet, type OfficeKeySet, publishKeys } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { type AdmissionFacts, admit, type OfficeState } from '#shared/domain/referral/admission.ts';
import { categoriesOf } from '#shared/domain/referral/referral.ts';
import { NOW, record, SUBJECT_ID } from '#test/unit/consent/fixtures.ts';

/** The one admission check of intake and forwarding, without I/O. */

const directory = loadDirectory('config/directory.example.json');
const person = {
  familyName: 'Müller',
  givenNames: 'Anna',
  dateOfBirth: '1981-03-02',
  address: { municipality: '08215009' },
};
const consent = record({
  scope: { serviceTypes: ['MBE'], providerIds: [] },
  purposes: ['migration-counselling'],
  dataCategories: ['identity', 'address', 'needs'],
});

let keySet: OfficeKeySet;
beforeAll(async () => {
  const { publicJwk } = await generateRecipientKeyPair();
  keySet = publishKeys(emptyKeySet, { keys: [publicJwk] }, NOW);
});

const withKeys = (ids: readonly string[]): ReadonlyMap<string, OfficeState> =>
  new Map(ids.map((id) => [id, { keySet, openReferrals: 0 }]));

const forwarding = (over: Partial<AdmissionFacts> = {}): AdmissionFacts => ({
  recipient: {
    kind: 'forwarded',
    officeId: 'mbe-diakonie-bruchsal',
    decliningOfficeId: 'mbe-caritas-bruchsal',
  },
  consent,
  subjectId: SUBJECT_ID,
  expectedSubjectId: SUBJECT_ID,
  person,
  note: undefined,
  dataCategories: categoriesOf(person),
  offices: withKeys(['mbe-diakonie-bruchsal', 'jmd-caritas-bruchsal', 'mbe-caritas-ettlingen']),
  now: NOW,
  ...over,
});

const intake = (over: Partial<AdmissionFacts> = {}): AdmissionFacts => ({
  recipient: { kind: 'routed' },
  consent,
  subjectId: SUBJECT_ID,
  person,
  note: undefined,
  dataCategories: categoriesOf(person),
  offices: withKeys(directory.serviceOffices.map((o) => o.id)),
  now: NOW,
  ...over,
});

const reason = (facts: AdmissionFacts) => {
  const admission = admit(facts, directory);
  return admission.ok ? `ok ${admission.office.id}` : admission.refusal.reason;
};
const to = (officeId: string) => ({
  recipient: { kind: 'forwarded' as const, officeId, decliningOfficeId: 'mbe-caritas-bruchsal' },
});

describe('admit: forwarding', () => {
  it('admits another office of a type in scope that serves the municipality, with its current key', () => {
    const admission = admit(forwarding(), directory);
    expect(admission.ok && admission.office.id).toBe('mbe-diakonie-bruchsal');
    expect(admission.ok && admission.key.kid).toBe(keySet.keys[0]!.kid);
    expect(admission.ok && admission.routing).toBeUndefined();
  });

  it('refuses, in order, each rule a forwarding breaks', () => {
    expect(reason(forwarding(to('mbe-nowhere')))).toBe('unknown-office');
    expect(reason(forwarding(to('mbe-caritas-bruchsal')))).toBe('forward-to-self');
    expect(reason(forwarding({ consent: undefined }))).toBe('consent-not-found');
    expect(reason(forwarding({ subjectId: `sub_${'b'.repeat(64)}` }))).toBe('subject-mismatch');
    expect(reason(forwarding({ consent: { ...consent, withdrawnAt: NOW.toISOString() } as never }))).toBe(
      'consent-withdrawn',
    );
    expect(reason(forwarding({ consent: { ...consent, validUntil: NOW.toISOString() } as never }))).toBe(
      'consent-expired',
    );
    const phone = { ...person, phone: '+49 171 5550199' };
    expect(reason(forwarding({ person: phone, dataCategories: categoriesOf(phone) }))).toBe(
      'data-categories-not-covered',
    );
    expect(reason(forwarding(to('mbe-caritas-ettlingen')))).toBe('recipient-not-covering-municipality');
    expect(reason(forwarding(to('jmd-caritas-bruchsal')))).toBe('recipient-not-in-scope');
    expect(reason(forwarding({ offices: new Map() }))).toBe('recipient-key-missing');
  });

  it('names each field outside the consent, and the recipient for the audit entry', () => {
    const more = { ...person, phone: '+49 171 5550199', family: { children: 2 } };
    const admission = admit(
      forwarding({ person: more, note: 'x', dataCategories: categoriesOf(more, 'x') }),
      directory,
    );
    expect(admission.ok).toBe(false);
    if (admission.ok) return;
    expect(admission.refusal.errors?.map((e) => e.field)).toEqual(['person.phone', 'person.family']);
    expect(admission.refusal.serviceOfficeId).toBe('mbe-diakonie-bruchsal');
  });
});

describe('admit: intake', () => {
  it('routes to the lead office and names the rule that chose it', () => {
    const admission = admit(intake(), directory);
    expect(admission.ok).toBe(true);
    if (!admission.ok) return;
    expect(admission.serviceType).toBe('MBE');
    expect(admission.routing?.ruleId).toEqual(expect.any(String));
    expect(admission.consent).toBe(consent);
  });

  it('refuses a second open referral with its id, before routing', () => {
    const admission = admit(intake({ openReferral: { visibleId: 'ref_x' } }), directory);
    expect(admission.ok ? undefined : admission.refusal).toEqual({
      reason: 'open-referral-exists',
      facts: { existingReferralId: 'ref_x' },
    });
    // Another authority's referral: that one exists, not which.
    const hidden = admit(intake({ openReferral: {} }), directory);
    expect(hidden.ok ? undefined : hidden.refusal).toEqual({ reason: 'open-referral-exists' });
  });

  it('does not let another authority refer under a consent it did not record', () => {
    expect(reason(intake({ referrer: consent.recordedBy }))).toMatch(/^ok /);
    const admission = admit(intake({ referrer: 'authority:abh-bruchsal' }), directory);
    expect(admission.ok ? undefined : admission.refusal.reason).toBe('consent-not-found');
  });

  it('names the consent field for a missing consent or another person', () => {
    const missing = admit(intake({ consent: undefined }), directory);
    expect(missing.ok ? [] : missing.refusal.errors).toEqual([
      { field: 'consentId', reason: 'no consent with this id' },
    ]);
    const other = admit(intake({ subjectId: `sub_${'c'.repeat(64)}` }), directory);
    expect(other.ok ? undefined : other.refusal.reason).toBe('subject-mismatch');
  });

  it('passes the routing refusal on with its explanation and the directory version', () => {
    const child = { ...person, dateOfBirth: '2020-01-01' };
    const admission = admit(intake({ person: child }), directory);
    expect(admission.ok).toBe(false);
    if (admission.ok) return;
    expect(admission.refusal.reason).toBe('under-minimum-age');
    expect(admission.refusal.explanation).toEqual(expect.any(String));
    expect(admission.refusal.facts).toEqual({ directoryVersion: directory.version });
  });

  it('refuses an office without a published key', () => {
    expect(reason(intake({ offices: new Map() }))).toBe('recipient-key-missing');
  });
});
