import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ListUserPoolsCommand,
  ListUsersCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { main, type PoolUser, planSync } from '#infra/people.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { peopleOf } from '#shared/domain/directory/index.ts';

/** `npm run people -- sync`: the user pool's accounts follow the directory. */

const directory = loadDirectory('config/directory.example.json');
const listed = peopleOf(directory);
const [first, second, third] = listed.filter((p) => p.email) as [
  (typeof listed)[0],
  (typeof listed)[0],
  (typeof listed)[0],
];

const user = (over: Partial<PoolUser> & { username: string }): PoolUser => ({
  email: undefined,
  sub: undefined,
  enabled: true,
  status: 'CONFIRMED',
  ...over,
});

describe('the plan', () => {
  it('creates the listed people who have no account, and keeps those who have one', () => {
    const plan = planSync(listed, [user({ username: 'u-1', email: first.email!.toUpperCase(), sub: 's-1' })]);
    expect(plan.unchanged).toBe(1);
    const created = plan.actions.filter((a) => a.kind === 'create');
    expect(created).toHaveLength(listed.filter((p) => p.email).length - 1);
    expect(created).toContainEqual({ kind: 'create', email: second.email!.toLowerCase(), unit: second.unit });
    expect(plan.actions.filter((a) => a.kind !== 'create')).toEqual([]);
  });

  it('disables accounts of people no longer listed, or deletes them; enables one listed again', () => {
    const users = [
      user({ username: 'gone', email: 'gone@demo.invalid' }),
      user({ username: 'gone-disabled', email: 'old@demo.invalid', enabled: false }),
      user({ username: 'back', email: first.email!, enabled: false }),
    ];
    const people = [first];
    expect(planSync(people, users).actions).toEqual([
      { kind: 'disable', username: 'gone' },
      { kind: 'enable', username: 'back', unit: first.unit },
    ]);
    expect(planSync(people, users, { delete: true }).actions).toEqual([
      { kind: 'delete', username: 'gone' },
      { kind: 'delete', username: 'gone-disabled' },
      { kind: 'enable', username: 'back', unit: first.unit },
    ]);
  });

  it('keeps an account the directory lists by its subject, and notes a subject no account has', () => {
    const bySubject = { subject: 'sub-7', role: 'dpo' as const, unit: 'dpo:lk-karlsruhe' };
    const plan = planSync(
      [bySubject, { ...bySubject, subject: 'sub-8' }],
      [user({ username: 'x', sub: 'sub-7' })],
    );
    expect(plan.actions).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plan.unknownSubjects).toEqual([{ unit: 'dpo:lk-karlsruhe' }]);
  });

  it('creates no account for people of a unit with its own identity provider, and leaves federated accounts alone', () => {
    const federated = { ...second, identityProvider: 'caritas-entra' };
    const plan = planSync(
      [federated],
      [user({ username: 'caritas-entra_abc', email: second.email!, status: 'EXTERNAL_PROVIDER' })],
    );
    expect(plan.actions).toEqual([]);
    expect(plan.federated).toBe(1);
  });
});

describe('the command', () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  const pool = 'eu-central-1_TestPool';
  const out: string[] = [];
  const err: string[] = [];
  const run = (...args: string[]) =>
    main(args, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      client: () => new CognitoIdentityProviderClient({ region: 'eu-central-1' }),
    });
  const account = (username: string, email: string, enabled = true): UserType => ({
    Username: username,
    Enabled: enabled,
    UserStatus: 'CONFIRMED',
    Attributes: [
      { Name: 'email', Value: email },
      { Name: 'sub', Value: `sub-${username}` },
    ],
  });

  beforeEach(() => {
    cognito.reset();
    out.length = 0;
    err.length = 0;
    cognito
      .on(ListUserPoolsCommand)
      .resolvesOnce({ UserPools: [{ Id: 'other', Name: 'referral-exchange-prod' }], NextToken: 'n' })
      .resolvesOnce({ UserPools: [{ Id: pool, Name: 'referral-exchange-test' }] });
    // Two pages of accounts: one listed, one no longer listed.
    cognito
      .on(ListUsersCommand)
      .resolvesOnce({ Users: [account('u-1', first.email!)], PaginationToken: 'p2' })
      .resolvesOnce({ Users: [account('u-gone', 'left@demo.invalid')] });
  });

  it('prints what it would do and changes nothing without --apply', async () => {
    expect(await run('sync', '--stage', 'test')).toBe(0);
    expect(cognito.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: pool, Limit: 60, PaginationToken: undefined },
      { UserPoolId: pool, Limit: 60, PaginationToken: 'p2' },
    ]);
    for (const command of [
      AdminCreateUserCommand,
      AdminDisableUserCommand,
      AdminDeleteUserCommand,
      AdminEnableUserCommand,
    ])
      expect(cognito.commandCalls(command)).toHaveLength(0);
    const text = out.join('\n');
    expect(text).toContain(`create   ${second.email!.toLowerCase()} (${second.unit})`);
    expect(text).toContain('disable  u-gone');
    expect(text).toContain('Dry run: nothing changed');
  });

  it('with --apply invites each new person (verified address, Cognito’s temporary password) and disables and signs out the one gone', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito.on(AdminDisableUserCommand).resolves({});
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});
    expect(await run('sync', '--stage', 'test', '--apply')).toBe(0);
    const creates = cognito.commandCalls(AdminCreateUserCommand).map((c) => c.args[0].input);
    expect(creates).toHaveLength(listed.filter((p) => p.email).length - 1);
    expect(creates).toContainEqual({
      UserPoolId: pool,
      Username: third.email!.toLowerCase(),
      UserAttributes: [
        { Name: 'email', Value: third.email!.toLowerCase() },
        { Name: 'email_verified', Value: 'true' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    });
    // No MessageAction: neither suppressed nor a resend; no password chosen by the command.
    for (const input of creates) {
      expect(input).not.toHaveProperty('MessageAction');
      expect(input).not.toHaveProperty('TemporaryPassword');
    }
    expect(cognito.commandCalls(AdminDisableUserCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: pool, Username: 'u-gone' },
    ]);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: pool, Username: 'u-gone' },
    ]);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  it('deletes instead with --delete, and reports a failed change with exit code 1', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    const exists = Object.assign(new Error('User account already exists'), {
      name: 'UsernameExistsException',
    });
    cognito.on(AdminCreateUserCommand, { Username: second.email!.toLowerCase() }).rejects(exists);
    cognito.on(AdminDeleteUserCommand).resolves({});
    expect(await run('sync', '--stage', 'test', '--apply', '--delete')).toBe(1);
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: pool, Username: 'u-gone' },
    ]);
    expect(cognito.commandCalls(AdminDisableUserCommand)).toHaveLength(0);
    expect(err.join('\n')).toContain('UsernameExistsException');
    expect(err.join('\n')).not.toContain('already exists');
    expect(out.at(-1)).toMatch(/1 failed/);
  });

  it('refuses a stage without a user pool, and a wrong command', async () => {
    expect(await run('sync', '--stage', 'nowhere')).toBe(2);
    expect(err.join('\n')).toContain('No user pool referral-exchange-nowhere');
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(0);
    expect(await run('purge')).toBe(2);
    expect(await run('sync', '--bogus')).toBe(2);
  });

  it('takes the pool by id when given', async () => {
    expect(await run('sync', '--user-pool-id', 'eu-central-1_Given')).toBe(0);
    expect(cognito.commandCalls(ListUserPoolsCommand)).toHaveLength(0);
    expect(cognito.commandCalls(ListUsersCommand)[0]!.args[0].input.UserPoolId).toBe('eu-central-1_Given');
  });
});
