/** What a `rex` command is, and what it gets to run. */
import type { ParseArgsOptionsConfig } from 'node:util';
import { RexClient } from '#shared/sdk/client.ts';
import { CliError, type CliIo } from './io.ts';
import { loadProfile, type Profile } from './profile.ts';

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  readonly io: CliIo;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly json: boolean;
  /** The selected profile; throws a usage error when none is named. */
  profile(): Profile;
  client(): RexClient;
  /** The office the profile acts for; asks the API when the profile does not say. */
  officeId(): Promise<string>;
  /** The authority the profile acts for; asks the API when the profile does not say. */
  authorityId(): Promise<string>;
}

export interface Command {
  /** e.g. `keys publish`. */
  readonly name: string;
  readonly summary: string;
  /** Usage lines and option descriptions, shown by `--help`. */
  readonly help: string;
  readonly options: ParseArgsOptionsConfig;
  /** Positional arguments: names for the help text, and how many are required. */
  readonly positionals?: { readonly names: readonly string[]; readonly required: number };
  readonly needsProfile: boolean;
  run(context: CommandContext): Promise<number>;
}

export function commandContext(
  io: CliIo,
  values: OptionValues,
  positionals: readonly string[],
): CommandContext {
  let profile: Profile | undefined;
  let client: RexClient | undefined;
  const context: CommandContext = {
    io,
    values,
    positionals,
    json: values.json === true,
    profile() {
      profile ??= loadProfile({
        profile: values.profile as string | undefined,
        profilesFile: values.profiles as string | undefined,
        env: io.env,
        cwd: io.cwd,
      });
      return profile;
    },
    client() {
      const p = context.profile();
      client ??= new RexClient({ endpoint: p.endpoint, region: p.region, credentials: p.credentials });
      return client;
    },
    async officeId() {
      const principal = context.profile().principal ?? (await context.client().whoami()).principal;
      if (!principal.startsWith('service:')) {
        throw new CliError(
          `The profile stands for ${principal}; this command needs a service office profile.`,
        );
      }
      return principal.slice('service:'.length);
    },
    async authorityId() {
      const principal = context.profile().principal ?? (await context.client().whoami()).principal;
      if (!principal.startsWith('authority:')) {
        throw new CliError(`The profile stands for ${principal}; this command needs an authority profile.`);
      }
      return principal.slice('authority:'.length);
    },
  };
  return context;
}
