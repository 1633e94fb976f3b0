import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';
import { reportReferralStatus } from '#shared/api/referrals.ts';
import { ReportStatusRequest } from '#shared/schemas/referral.ts';

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
