import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { DirectoryInvalidError, type ListedPerson, peopleOf } from '#shared/domain/directory/index.ts';
import { userPoolName } from '#shared/resources.ts';

/**
 * `npm run people -- sync`: the accounts of the deployment's user pool follow the
 * directory (docs/deploy.md, "People"). Each person the directory lists by e-mail in a
 * unit without its own identity provider gets an account — created by Cognito with a
 * temporary password sent in its invitation e-mail, the address marked verified, since
 * the directory vouches for it. Accounts of people no longer listed are disabled and
 * signed out everywhere (`--delete`: deleted); a person listed again is enabled again.
 * Accounts that came from a unit's own identity provider are left alone: that provider
 * and the directory decide about them. A dry run by default: `--apply` changes the pool.
 */

/** An account of the user pool, as far as the sync needs it. */
export interface PoolUser {
  readonly username: string;
  readonly email: string | undefined;
  /** The `sub` claim of the account's tokens, by which the directory may list a person. */
  readonly sub: string | undefined;
  readonly enabled: boolean;
  /** `EXTERNAL_PROVIDER` for an account created by a federated sign-in. */
  readonly status: string | undefined;
}

export type SyncAction =
  | { readonly kind: 'create'; readonly email: string; readonly unit: string }
  | { readonly kind: 'enable'; readonly username: string; readonly unit: string }
  | { readonly kind: 'disable'; readonly username: string }
  | { readonly kind: 'delete'; readonly username: string };

export interface SyncPlan {
  readonly actions: readonly SyncAction[];
  /** Listed and enabled already. */
  readonly unchanged: number;
  /** Accounts of federated sign-ins, not touched. */
  readonly federated: number;
  /** People listed by a subject no account of the pool has (they cannot be created by subject). */
  readonly unknownSubjects: readonly { readonly unit: string }[];
}

/** What the sync would do: pure, from the directory's people and the pool's accounts. */
export function planSync(
  people: readonly ListedPerson[],
  users: readonly PoolUser[],
  options: { readonly delete?: boolean } = {},
): SyncPlan {
  // People of a unit with its own identity provider sign in there: no account here.
  const local = people.filter((p) => !p.identityProvider);
  const byEmail = new Map(local.flatMap((p) => (p.email ? [[p.email.toLowerCase(), p] as const] : [])));
  const bySubject = new Map(local.flatMap((p) => (p.subject ? [[p.subject, p] as const] : [])));
  const actions: SyncAction[] = [];
  const covered = new Set<ListedPerson>();
  let unchanged = 0;
  let federated = 0;
  for (const user of users) {
    if (user.status === 'EXTERNAL_PROVIDER') {
      federated++;
      continue;
    }
    const person =
      (user.sub ? bySubject.get(user.sub) : undefined) ??
      (user.email ? byEmail.get(user.email.toLowerCase()) : undefined);
    if (person) {
      covered.add(person);
      if (user.enabled) unchanged++;
      else actions.push({ kind: 'enable', username: user.username, unit: person.unit });
    } else if (options.delete) {
      actions.push({ kind: 'delete', username: user.username });
    } else if (user.enabled) {
      actions.push({ kind: 'disable', username: user.username });
    }
  }
  for (const [email, person] of byEmail)
    if (!covered.has(person)) actions.push({ kind: 'create', email, unit: person.unit });
  const unknownSubjects = [...bySubject.values()]
    .filter((p) => !covered.has(p))
    .map((p) => ({ unit: p.unit }));
  return { actions, unchanged, federated, unknownSubjects };
}

/** The id of the stage's user pool, found by its name; refuses none or several. */
export async function findUserPool(client: CognitoIdentityProviderClient, stage: string): Promise<string> {
  const name = userPoolName(stage);
  const found: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: nextToken }));
    for (const pool of page.UserPools ?? []) if (pool.Name === name && pool.Id) found.push(pool.Id);
    nextToken = page.NextToken;
  } while (nextToken);
  if (found.length !== 1) {
    throw new UsageError(
      found.length === 0
        ? `No user pool ${name} in this account and region: deploy the stage first, or name the pool with --user-pool-id.`
        : `${found.length} user pools are named ${name}: name the one to sync with --user-pool-id.`,
    );
  }
  return found[0]!;
}

const attribute = (user: UserType, name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;

/** Every account of the pool. */
export async function listPoolUsers(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
): Promise<PoolUser[]> {
  const users: PoolUser[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListUsersCommand({ UserPoolId: userPoolId, Limit: 60, PaginationToken: token }),
    );
    for (const user of page.Users ?? []) {
      if (!user.Username) continue;
      users.push({
        username: user.Username,
        email: attribute(user, 'email'),
        sub: attribute(user, 'sub'),
        enabled: user.Enabled !== false,
        status: user.UserStatus,
      });
    }
    token = page.PaginationToken;
  } while (token);
  return users;
}

/** Carries out the plan's actions one by one; a failed one is reported and the rest go on. */
export async function applySync(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  actions: readonly SyncAction[],
  report: (line: string) => void,
): Promise<{ readonly done: number; readonly failed: number }> {
  let done = 0;
  let failed = 0;
  for (const action of actions) {
    try {
      switch (action.kind) {
        case 'create':
          await client.send(
            new AdminCreateUserCommand({
              UserPoolId: userPoolId,
              Username: action.email,
              UserAttributes: [
                { Name: 'email', Value: action.email },
                // The directory vouches for the address; it is where the invitation goes.
                { Name: 'email_verified', Value: 'true' },
              ],
              // No MessageAction: Cognito generates the temporary password and sends the invitation.
              DesiredDeliveryMediums: ['EMAIL'],
            }),
          );
          break;
        case 'enable':
          await client.send(
            new AdminEnableUserCommand({ UserPoolId: userPoolId, Username: action.username }),
          );
          break;
        case 'disable':
          // Disabled first, so no new sign-in starts; then every refresh token is revoked.
          await client.send(
            new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: action.username }),
          );
          await client.send(
            new AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: action.username }),
          );
          break;
        case 'delete':
          await client.send(
            new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: action.username }),
          );
          break;
      }
      done++;
    } catch (error) {
      failed++;
      // The error's name says what failed; its message may quote the address, which this line already names.
      report(`  failed   ${describe(action)}: ${error instanceof Error ? error.name : 'error'}`);
    }
  }
  return { done, failed };
}

function describe(action: SyncAction): string {
  switch (action.kind) {
    case 'create':
      return `${action.email} (${action.unit})`;
    case 'enable':
      return `${action.username} (${action.unit})`;
    case 'disable':
    case 'delete':
      return action.username;
  }
}

const EXPLAIN: Record<SyncAction['kind'], string> = {
  create: 'an invitation e-mail with a temporary password',
  enable: 'listed again',
  disable: 'no longer listed: disabled and signed out everywhere',
  delete: 'no longer listed: deleted',
};

/** The plan as the operator reads it. */
export function formatPlan(plan: SyncPlan, pool: string): string {
  const lines = [`User pool ${pool}:`];
  for (const action of plan.actions)
    lines.push(`  ${action.kind.padEnd(8)} ${describe(action)} — ${EXPLAIN[action.kind]}`);
  lines.push(`  ${plan.unchanged} account(s) as listed already`);
  if (plan.federated > 0)
    lines.push(
      `  ${plan.federated} account(s) of units' own identity providers, left to them and the directory`,
    );
  for (const { unit } of plan.unknownSubjects)
    lines.push(`  note: a person of ${unit} is listed by a subject no account of this pool has`);
  return lines.join('\n');
}

class UsageError extends Error {}

const USAGE = `Usage: npm run people -- sync [--stage <stage>] [--directory <file>] [--region <region>]
                            [--user-pool-id <id>] [--apply] [--delete]

Creates an account in the stage's user pool for each person the directory lists by
e-mail (Cognito sends the invitation with a temporary password), and disables the
accounts of people no longer listed. Prints what it would do; --apply does it,
--delete deletes instead of disabling. Stage, directory and region default to cdk.json.`;

const parseCommand = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      directory: { type: 'string' },
      region: { type: 'string' },
      'user-pool-id': { type: 'string' },
      apply: { type: 'boolean', default: false },
      delete: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });

/** cdk.json's context: the defaults the deployment uses. */
function cdkContext(root: string): Record<string, unknown> {
  try {
    return (
      (JSON.parse(readFileSync(resolve(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> })
        .context ?? {}
    );
  } catch {
    return {};
  }
}

export async function main(
  argv: readonly string[],
  io: {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly client?: (region: string) => CognitoIdentityProviderClient;
    readonly root?: string;
  },
): Promise<number> {
  let values: ReturnType<typeof parseCommand>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommand([...argv]));
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'sync') {
    io.err(USAGE);
    return 2;
  }
  const root = io.root ?? resolve(fileURLToPath(import.meta.url), '../..');
  const context = cdkContext(root);
  const stage = values.stage ?? String(context.stage ?? 'dev');
  const region = values.region ?? String(context.region ?? 'eu-central-1');
  const directoryFile = resolve(
    root,
    values.directory ?? String(context.directory ?? 'config/directory.example.json'),
  );
  try {
    const directory = loadDirectory(directoryFile);
    const client = (io.client ?? ((r) => new CognitoIdentityProviderClient({ region: r })))(region);
    const userPoolId = values['user-pool-id'] ?? (await findUserPool(client, stage));
    const plan = planSync(peopleOf(directory), await listPoolUsers(client, userPoolId), {
      delete: values.delete,
    });
    io.out(formatPlan(plan, `${userPoolName(stage)} (${userPoolId}, ${region})`));
    if (!values.apply) {
      io.out(
        plan.actions.length > 0
          ? 'Dry run: nothing changed. Run again with --apply to do it.'
          : 'Nothing to do.',
      );
      return 0;
    }
    const { done, failed } = await applySync(client, userPoolId, plan.actions, io.err);
    io.out(`Done: ${done} change(s)${failed > 0 ? `, ${failed} failed` : ''}.`);
    return failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof DirectoryInvalidError) {
      io.err(error.message);
      return 2;
    }
    // An AWS error: its name (AccessDeniedException, …) says what is missing.
    io.err(
      `The user pool could not be read or changed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
