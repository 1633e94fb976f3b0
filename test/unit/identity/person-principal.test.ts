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

  it('has a pseudonymous person id: stable, per issuer and secret, no e-mail in it', () => {
    const secret = new Uint8Array(32).fill(7);
    const id = personIdFromSubject('https://idp.example', 'abc', secret);
    expect(id).toMatch(/^psn_[0-9a-f]{64}$/);
    expect(personIdFromSubject('https://idp.example', 'abc', secret)).toBe(id);
    expect(personIdFromSubject('https://other.example', 'abc', secret)).not.toBe(id);
    expect(personIdFromSubject('https://idp.example', 'abc', new Uint8Array(32).fill(8))).not.toBe(id);
  });
});
