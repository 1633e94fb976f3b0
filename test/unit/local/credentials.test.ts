import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureCredentials } from '#local/credentials.ts';
import { PrincipalResolver, sessionAdmitted } from '#shared/identity/principal.ts';

const directory = {
  authorities: [{ id: 'abh-a' }],
  serviceOffices: [{ id: 'mbe-x', providerId: 'caritas' }],
  dataProtectionOfficers: [{ scope: 'lk' }],
};
const resolver = new PrincipalResolver(directory, { stage: 'local', accountId: '000000000000' });
const options = { region: 'eu-central-1', accountId: '000000000000' };

let folder: string | undefined;
afterEach(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
});

describe('the local credentials file', () => {
  it("gives an office a session of the offices' role, named after it and tagged with it, as STS would", () => {
    folder = mkdtempSync(join(tmpdir(), 'rex-credentials-'));
    const file = join(folder, 'credentials.json');
    const { credentials } = ensureCredentials(file, resolver.principals(), options);
    const office = credentials.find((c) => c.principal === 'service:mbe-x')!;
    expect(office.userArn).toBe('arn:aws:sts::000000000000:assumed-role/rex-local-offices/mbe-x');
    expect(office.sessionTags).toEqual({ 'rex-office': 'mbe-x' });
    expect(resolver.resolve(office.userArn)).toEqual({ kind: 'service', id: 'mbe-x' });
    expect(sessionAdmitted('local', office.userArn, office.sessionTags)).toBe(true);
    const authority = credentials.find((c) => c.principal === 'authority:abh-a')!;
    expect(authority.userArn).toBe(
      'arn:aws:sts::000000000000:assumed-role/rex-local-authority-abh-a/local-session',
    );
    expect(authority.sessionTags).toBeUndefined();
  });

  it('brings a file from the time of per-office roles in line, keeping its keys', () => {
    folder = mkdtempSync(join(tmpdir(), 'rex-credentials-'));
    const file = join(folder, 'credentials.json');
    const old = {
      profile: 'service-mbe-x',
      principal: 'service:mbe-x',
      accessKeyId: 'AKIALOCALOLDKEY1234',
      secretAccessKey: 'an-old-secret-of-the-office',
      userArn: 'arn:aws:sts::000000000000:assumed-role/rex-local-service-mbe-x/local-session',
    };
    writeFileSync(file, JSON.stringify({ region: 'eu-central-1', credentials: [old] }));
    ensureCredentials(file, resolver.principals(), options);
    const written = JSON.parse(readFileSync(file, 'utf8')) as {
      credentials: (typeof old & { sessionTags?: unknown })[];
    };
    const office = written.credentials.find((c) => c.principal === 'service:mbe-x')!;
    expect(office.accessKeyId).toBe(old.accessKeyId);
    expect(office.secretAccessKey).toBe(old.secretAccessKey);
    expect(office.userArn).toBe('arn:aws:sts::000000000000:assumed-role/rex-local-offices/mbe-x');
    expect(office.sessionTags).toEqual({ 'rex-office': 'mbe-x' });
  });

  it('refuses a session of an offices’ role whose name is not its office tag', () => {
    const arn = 'arn:aws:sts::000000000000:assumed-role/rex-local-offices/mbe-y';
    expect(sessionAdmitted('local', arn, { 'rex-office': 'mbe-x' })).toBe(false);
    expect(sessionAdmitted('local', arn, undefined)).toBe(false);
    expect(
      sessionAdmitted('local', 'arn:aws:sts::000000000000:assumed-role/rex-local-offices-caritas/mbe-y', {}),
    ).toBe(false);
    expect(
      sessionAdmitted('local', 'arn:aws:sts::000000000000:assumed-role/rex-local-operator/s', undefined),
    ).toBe(true);
  });
});
