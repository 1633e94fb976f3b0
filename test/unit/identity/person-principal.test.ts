import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { personIdFromSubject } from '#shared/domain/pseudonym.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';

const directory = loadDirectory('config/directory.example.json');
const resolver = new PrincipalResolver(directory, { stage: 'local', accountId: '000000000000' });
const counsellor = directory.serviceOffices[0]!.people![0]!.email!;

describe('a signed-in person as a principal', () => {
  it('acts for the organisation unit the directory lists them in, by verified e-mail', () => {
    expect(
      resolver.resolvePerson({ sub: 'x', email: counsellor.toUpperCase(), email_verified: 'true' }),
    ).toEqual({
      kind: 'service',
      id: directory.serviceOffices[0]!.id,
    });
  });

  it('is refused when the e-mail is not verified, the person is not listed, or the token is not an ID token', () => {
    expect(resolver.resolvePerson({ sub: 'x', email: counsellor, email_verified: 'false' })).toBeUndefined();
    expect(
      resolver.resolvePerson({ sub: 'x', email: 'nobody@demo.invalid', email_verified: 'true' }),
    ).toBeUndefined();
    expect(
      resolver.resolvePerson({ sub: 'x', email: counsellor, email_verified: 'true', token_use: 'access' }),
    ).toBeUndefined();
  });

  it('matches by subject before e-mail', () => {
    const d = structuredClone(directory);
    d.dataProtectionOfficers[0]!.people = [{ subject: 'sub-123', role: 'dpo' }];
    const r = new PrincipalResolver(d, { stage: 'local', accountId: '000000000000' });
    expect(r.resolvePerson({ sub: 'sub-123', email: counsellor, email_verified: 'true' })).toEqual({
      kind: 'dpo',
      scope: d.dataProtectionOfficers[0]!.scope,
    });
  });

  it('resolves a federated sign-in only among the people of the units that name its provider', () => {
    const d = structuredClone(directory);
    const office = d.serviceOffices[0]!;
    office.identityProvider = {
      type: 'oidc',
      name: 'caritas-entra',
      issuer: 'https://login.example/tenant/v2.0',
      clientId: 'rex',
      clientSecretName: 'rex/caritas-entra',
    };
    office.people = [
      { subject: 'entra-oid-1', role: 'counsellor' },
      { email: 'b@caritas.example', role: 'counsellor' },
    ];
    const r = new PrincipalResolver(d, { stage: 'local', accountId: '000000000000' });
    const identities = (provider: string, userId: string) =>
      `[{"userId":"${userId}","providerName":"${provider}","providerType":"OIDC","issuer":null,"primary":"true"}]`;
    const unit = { kind: 'service', id: office.id };
    // By the subject at the provider, in JSON and in API Gateway's `{key=value}` form.
    expect(
      r.resolvePerson({ sub: 'cognito-sub', identities: identities('caritas-entra', 'entra-oid-1') }),
    ).toEqual(unit);
    expect(
      r.resolvePerson({
        sub: 'c',
        identities: '{userId=entra-oid-1, providerName=caritas-entra, primary=true}',
      }),
    ).toEqual(unit);
    // By the e-mail the organisation's provider asserts (Entra ID sends no email_verified).
    expect(
      r.resolvePerson({ sub: 'c', email: 'B@caritas.example', identities: identities('caritas-entra', 'x') }),
    ).toEqual(unit);
    // Another provider, or the pool itself, cannot stand in for the unit's people.
    expect(r.resolvePerson({ sub: 'c', identities: identities('other-idp', 'entra-oid-1') })).toBeUndefined();
    expect(r.resolvePerson({ sub: 'entra-oid-1' })).toBeUndefined();
    expect(r.resolvePerson({ sub: 'c', email: 'b@caritas.example', email_verified: 'true' })).toBeUndefined();
    // The unit's provider cannot vouch for people of other units.
    const dpoEmail = d.dataProtectionOfficers[0]!.people![0]!.email!;
    expect(
      r.resolvePerson({
        sub: 'c',
        email: dpoEmail,
        email_verified: 'true',
        identities: identities('caritas-entra', 'y'),
      }),
    ).toBeUndefined();
    // An unreadable identities claim refuses.
    expect(
      r.resolvePerson({ sub: 'c', email: dpoEmail, email_verified: 'true', identities: 'garbage' }),
    ).toBeUndefined();
  });

  it('has a pseudonymous person id: stable, per issuer and secret, no e-mail in it', () => {
    const secret = new Uint8Array(32).fill(7);
    const id = personIdFromSubject('https://idp.example', 'abc', secret);
    expect(id).toMatch(/^psn_[0-9a-f]{64}$/);
    expect(personIdFromSubject('https://idp.example', 'abc', secret)).toBe(id);
    expect(personIdFromSubject('https://other.example', 'abc', secret)).not.toBe(id);
    expect(personIdFromSubject('https://idp.example', 'abc', new Uint8Array(32).fill(8))).not.toBe(id);
  });
});
