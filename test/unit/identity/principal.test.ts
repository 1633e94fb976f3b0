import { describe, expect, it } from 'vitest';
import {
  formatPrincipal,
  PrincipalResolver,
  parseAssumedRoleArn,
  parsePrincipal,
  roleNameFor,
  roleSessionOf,
} from '#shared/identity/principal.ts';

const directory = {
  authorities: [{ id: 'abh-lk-karlsruhe' }],
  serviceOffices: [
    {
      id: 'mbe-caritas-bruchsal',
      iamPrincipals: ['arn:aws:iam::111122223333:role/partners/partner-caritas'],
    },
    { id: 'jmd-ib-bruchsal', providerId: 'ib-mittelbaden' },
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

  it("maps a session of the offices' role to the office its session name names", () => {
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-offices/jmd-ib-bruchsal'),
    ).toEqual({ kind: 'service', id: 'jmd-ib-bruchsal' });
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-offices/mbe-caritas-bruchsal'),
    ).toEqual({ kind: 'service', id: 'mbe-caritas-bruchsal' });
    // An office the directory does not list, or a session named otherwise, is nobody.
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-offices/jmd-other'),
    ).toBeUndefined();
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-offices/abh-lk-karlsruhe'),
    ).toBeUndefined();
    // The per-office role names of earlier versions no longer resolve.
    expect(
      resolver.resolve('arn:aws:sts::123456789012:assumed-role/rex-prod-service-jmd-ib-bruchsal/s1'),
    ).toBeUndefined();
  });

  it("maps a session of a provider's own offices' role to that provider's offices only", () => {
    expect(
      resolver.resolve(
        'arn:aws:sts::123456789012:assumed-role/rex-prod-offices-ib-mittelbaden/jmd-ib-bruchsal',
      ),
    ).toEqual({ kind: 'service', id: 'jmd-ib-bruchsal' });
    expect(
      resolver.resolve(
        'arn:aws:sts::123456789012:assumed-role/rex-prod-offices-ib-mittelbaden/mbe-caritas-bruchsal',
      ),
    ).toBeUndefined();
    expect(
      resolver.resolve('arn:aws:sts::999999999999:assumed-role/rex-prod-offices/jmd-ib-bruchsal'),
    ).toBeUndefined();
  });

  it('names the role and session a principal signs as', () => {
    expect(roleSessionOf('prod', { kind: 'service', id: 'jmd-ib-bruchsal' })).toEqual({
      roleName: 'rex-prod-offices',
      sessionName: 'jmd-ib-bruchsal',
    });
    expect(roleSessionOf('prod', { kind: 'authority', id: 'abh-a' })).toEqual({
      roleName: 'rex-prod-authority-abh-a',
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
      sessionName: 's1',
    });
    expect(parseAssumedRoleArn('arn:aws:iam::123456789012:role/r')).toBeUndefined();
  });
});
