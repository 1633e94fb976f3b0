import { describe, expect, it } from 'vitest';
import {
  formatPrincipal,
  PrincipalResolver,
  parseAssumedRoleArn,
  parsePrincipal,
  roleNameFor,
} from '#shared/identity/principal.ts';

const directory = {
  authorities: [{ id: 'abh-lk-karlsruhe' }],
  serviceOffices: [
    {
      id: 'mbe-caritas-bruchsal',
      iamPrincipals: ['arn:aws:iam::111122223333:role/partners/partner-caritas'],
    },
    { id: 'jmd-ib-bruchsal' },
  ],
  dataProtectionOfficers: [{ scope: 'lk-karlsruhe' }],
};

describe('principal strings', () => {
  it.each([
    ['authority:abh-lk-karlsruhe', { kind: 'authority', id: 'abh-lk-karlsruhe' }],
    ['service:mbe-caritas-bruchsal', { kind: 'service', id: 'mbe-caritas-bruchsal' }],
    ['dpo:lk-karlsruhe', { kind: 'dpo', scope: 'lk-karlsruhe' }],
    ['operator', { kind: 'operator' }],
  ])('parses and formats %s', (text, principal) => {
    expect(parsePrincipal(text)).toEqual(principal);
    expect(formatPrincipal(parsePrincipal(text)!)).toBe(text);
  });

  it.each(['', 'admin', 'authority:', 'authority:UPPER', 'root:x', 'service:a/b', 'operator:x'])(
    'refuses %j',
    (text) => {
      expect(parsePrincipal(text)).toBeUndefined();
    },
  );
});

describe('roleNameFor', () => {
  it('names roles by stage and principal', () => {
    expect(roleNameFor('prod', { kind: 'service', id: 'jmd-ib-bruchsal' })).toBe(
      'rex-prod-service-jmd-ib-bruchsal',
    );
    expect(roleNameFor('prod', { kind: 'operator' })).toBe('rex-prod-operator');
  });

  it('keeps long names within 64 characters and distinct', () => {
    const a = roleNameFor('production', { kind: 'service', id: `${'x'.repeat(50)}-a` });
    const b = roleNameFor('production', { kind: 'service', id: `${'x'.repeat(50)}-b` });
    expect(a.length).toBeLessThanOrEqual(64);
    expect(b.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
  });
});

describe('PrincipalResolver', () => {
  const resolver = new PrincipalResolver(directory, { stage: 'prod', accountId: '123456789012' });

  it('maps a session of a stack role in this account to its principal', () => {
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-authority-abh-lk-karlsruhe/clerk-7'),
    ).toEqual({
      kind: 'authority',
      id: 'abh-lk-karlsruhe',
    });
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-dpo-lk-karlsruhe/dpo-session'),
    ).toEqual({
      kind: 'dpo',
      scope: 'lk-karlsruhe',
    });
  });

  it('refuses the same role name in another account or stage', () => {
    expect(
      resolver.resolve('arn:aws:sts::999999999999:assumed-role/rex-prod-authority-abh-lk-karlsruhe/x1'),
    ).toBeUndefined();
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-dev-authority-abh-lk-karlsruhe/x1'),
    ).toBeUndefined();
  });

  it('maps principals the operator listed explicitly, also from other accounts', () => {
    expect(resolver.resolve('arn:aws:sts::111122223333:assumed-role/partner-caritas/session')).toEqual({
      kind: 'service',
      id: 'mbe-caritas-bruchsal',
    });
  });

  it('maps an explicitly listed IAM user', () => {
    const withUser = new PrincipalResolver(
      {
        ...directory,
        authorities: [{ id: 'abh-a', iamPrincipals: ['arn:aws:iam::111122223333:user/clerks/anna'] }],
      },
      { stage: 'prod', accountId: '123456789012' },
    );
    expect(withUser.resolve('arn:aws:iam::111122223333:user/clerks/anna')).toEqual({
      kind: 'authority',
      id: 'abh-a',
    });
    expect(withUser.resolve('arn:aws:iam::111122223333:user/anna')).toBeUndefined();
  });

  it('refuses unmapped and malformed identities', () => {
    expect(resolver.resolve(undefined)).toBeUndefined();
    expect(resolver.resolve('arn:aws:iam::123456789012:user/someone')).toBeUndefined();
    expect(resolver.resolve('not an arn')).toBeUndefined();
  });

  it('lists every principal of the directory with its role name', () => {
    expect(
      resolver
        .principals()
        .map((p) => formatPrincipal(p.principal))
        .sort(),
    ).toEqual([
      'authority:abh-lk-karlsruhe',
      'dpo:lk-karlsruhe',
      'operator',
      'service:jmd-ib-bruchsal',
      'service:mbe-caritas-bruchsal',
    ]);
  });

  it('parses assumed-role ARNs', () => {
    expect(parseAssumedRoleArn('arn:aws:sts::123456789012:assumed-role/r/s1')).toEqual({
      account: '123456789012',
      roleName: 'r',
    });
    expect(parseAssumedRoleArn('arn:aws:iam::123456789012:role/r')).toBeUndefined();
  });
});
