import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';
import { reportReferralStatus } from '#shared/api/referrals.ts';
import { checkForwarding, type ForwardingFacts } from '#shared/domain/referral/forwarding.ts';
import { categoriesOf } from '#shared/domain/referral/referral.ts';
import { ReportStatusRequest } from '#shared/schemas/referral.ts';
import { NOW, record, SUBJECT_ID } from '#test/unit/consent/fixtures.ts';

const person = {
  familyName: 'Müller',
  givenNames: 'Anna',
  dateOfBirth: '1981-03-02',
  address: { municipality: '08215009' },
};

describe('ReportStatusRequest: declining with forwardTo', () => {
  const fields = (value: unknown) => {
    const result = ReportStatusRequest.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
  };

  it('needs the person with forwardTo and refuses person and note without it', () => {
    const decline = { status: 'declined', reason: 'not-responsible' };
    expect(fields(decline)).toEqual([]);
    expect(fields({ ...decline, forwardTo: 'mbe-diakonie-bruchsal', person })).toEqual([]);
    expect(fields({ ...decline, forwardTo: 'mbe-diakonie-bruchsal', person, note: 'x' })).toEqual([]);
    expect(fields({ ...decline, forwardTo: 'mbe-diakonie-bruchsal' })).toEqual(['person']);
    expect(fields({ ...decline, person })).toEqual(['person']);
    expect(fields({ ...decline, note: 'x' })).toEqual(['note']);
    expect(fields({ ...decline, forwardTo: 'Not An Office', person })).toEqual(['forwardTo']);
    expect(fields({ ...decline, forwardTo: 'mbe-x', person: { ...person, shoeSize: 42 } })).toEqual([
      'person',
    ]);
    expect(fields({ status: 'contacted', forwardTo: 'mbe-x' })).toEqual(['']);
  });

  it('shows the new members and their dependency in the OpenAPI document', () => {
    const doc = buildOpenApiDocument([reportReferralStatus], { version: 'test' });
    const schema = doc.components?.schemas?.DeclineRequest as Record<string, unknown>;
    expect(Object.keys(schema.properties as object)).toEqual([
      'status',
      'reason',
      'forwardTo',
      'person',
      'note',
    ]);
    expect(schema.required).toEqual(['status', 'reason']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.dependentRequired).toEqual({
      forwardTo: ['person'],
      person: ['forwardTo'],
      note: ['forwardTo'],
    });
  });
});

describe('checkForwarding', () => {
  const directory = loadDirectory('config/directory.example.json');
  const consent = record({
    scope: { serviceTypes: ['MBE'], providerIds: [] },
    purposes: ['migration-counselling'],
    dataCategories: ['identity', 'address', 'needs'],
  });
  const facts = (over: Partial<ForwardingFacts> = {}): ForwardingFacts => ({
    referral: { serviceOfficeId: 'mbe-caritas-bruchsal', subjectId: SUBJECT_ID },
    forwardTo: 'mbe-diakonie-bruchsal',
    subjectId: SUBJECT_ID,
    person,
    note: undefined,
    dataCategories: categoriesOf(person),
    consent,
    recipientHasKey: true,
    now: NOW,
    ...over,
  });
  const reason = (over: Partial<ForwardingFacts>) => {
    const decision = checkForwarding(facts(over), directory);
    return decision.ok ? 'ok' : `${decision.refusal.status} ${decision.refusal.reason}`;
  };

  it('accepts another office of a type in scope that serves the municipality', () => {
    const decision = checkForwarding(facts(), directory);
    expect(decision.ok && decision.office.id).toBe('mbe-diakonie-bruchsal');
  });

  it('refuses, in order, each rule a forwarding breaks', () => {
    expect(reason({ forwardTo: 'mbe-nowhere' })).toBe('422 unknown-office');
    expect(reason({ forwardTo: 'mbe-caritas-bruchsal' })).toBe('422 forward-to-self');
    expect(reason({ subjectId: `sub_${'b'.repeat(64)}` })).toBe('422 subject-mismatch');
    expect(reason({ consent: undefined })).toBe('422 consent-not-found');
    expect(reason({ consent: { ...consent, withdrawnAt: NOW.toISOString() } as never })).toBe(
      '409 consent-withdrawn',
    );
    expect(reason({ consent: { ...consent, validUntil: NOW.toISOString() } as never })).toBe(
      '422 consent-expired',
    );
    const phone = { ...person, phone: '+49 171 5550199' };
    expect(reason({ person: phone, dataCategories: categoriesOf(phone) })).toBe(
      '422 data-categories-not-covered',
    );
    expect(reason({ forwardTo: 'mbe-caritas-ettlingen' })).toBe('422 recipient-not-covering-municipality');
    expect(reason({ forwardTo: 'jmd-caritas-bruchsal' })).toBe('422 recipient-not-in-scope');
    expect(reason({ recipientHasKey: false })).toBe('409 recipient-key-missing');
  });

  it('names each field outside the consent', () => {
    const more = { ...person, phone: '+49 171 5550199', family: { children: 2 } };
    const decision = checkForwarding(
      facts({ person: more, note: 'x', dataCategories: categoriesOf(more, 'x') }),
      directory,
    );
    expect(decision.ok ? [] : decision.refusal.errors?.map((e) => e.field)).toEqual([
      'person.phone',
      'person.family',
    ]);
  });
});
