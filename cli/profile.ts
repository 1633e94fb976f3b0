/**
 * Profiles: who `rex` calls the API as. A profile file holds one entry per
 * credential; the local platform writes one (`.local/credentials.json`), and an
 * operator writes the same shape for an office in AWS (docs/rex.md).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { parsePrincipal } from '#shared/identity/principal.ts';
import type { SigningCredentials } from '#shared/sdk/signed-fetch.ts';
import { CliError, UsageError } from './io.ts';

export const DEFAULT_PROFILES_FILE = '.local/credentials.json';

const ProfileEntrySchema = z.looseObject({
  profile: z.string().min(1),
  principal: z.string().optional(),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
  /** Overrides the file's endpoint and region for this entry. */
  endpoint: z.string().optional(),
  region: z.string().optional(),
  /**
   * The office's queue and dead-letter queue (for `rex dlq`), or the authority's event
   * queue (for `rex events poll`), and a non-AWS SQS endpoint.
   */
  queueUrl: z.string().optional(),
  deadLetterUrl: z.string().optional(),
  sqsEndpoint: z.string().optional(),
});

export const ProfilesFileSchema = z.looseObject({
  region: z.string().optional(),
  endpoint: z.string().optional(),
  credentials: z.array(ProfileEntrySchema),
});

export interface Profile {
  readonly name: string;
  /** `service:<officeId>` etc., when the file says; otherwise ask the API (whoami). */
  readonly principal: string | undefined;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: SigningCredentials;
  readonly queueUrl: string | undefined;
  readonly deadLetterUrl: string | undefined;
  readonly sqsEndpoint: string | undefined;
}

export interface ProfileSelection {
  readonly profile?: string | undefined;
  readonly profilesFile?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Where the profiles come from: `--profiles`, then REX_PROFILES, then `.local/credentials.json`. */
export function profilesFilePath(selection: ProfileSelection): string {
  return resolve(
    selection.cwd,
    selection.profilesFile ?? selection.env.REX_PROFILES ?? DEFAULT_PROFILES_FILE,
  );
}

/** Loads the profile named by `--profile` or REX_PROFILE. Never echoes secrets in errors. */
export function loadProfile(selection: ProfileSelection): Profile {
  const name = selection.profile ?? selection.env.REX_PROFILE;
  if (!name)
    throw new UsageError('Name a profile with --profile <name> or the environment variable REX_PROFILE.');
  const file = profilesFilePath(selection);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(
      `No profile file at ${file}. Start the local platform (npm start) or name a file with --profiles <file>.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`The profile file ${file} is not JSON.`);
  }
  const parsed = ProfilesFileSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(file)').join(', ');
    throw new CliError(`The profile file ${file} is not valid (${fields}).`);
  }
  const entry = parsed.data.credentials.find((c) => c.profile === name);
  if (!entry) {
    const known = parsed.data.credentials.map((c) => c.profile).join(', ');
    throw new CliError(`No profile "${name}" in ${file}. Known: ${known || '(none)'}.`);
  }
  const endpoint = entry.endpoint ?? parsed.data.endpoint;
  if (!endpoint) throw new CliError(`The profile "${name}" has no endpoint (API URL).`);
  const region = entry.region ?? parsed.data.region ?? selection.env.AWS_REGION ?? 'eu-central-1';
  if (entry.principal !== undefined && !parsePrincipal(entry.principal)) {
    throw new CliError(`The profile "${name}" names no valid principal.`);
  }
  return {
    name,
    principal: entry.principal,
    endpoint,
    region,
    credentials: {
      accessKeyId: entry.accessKeyId,
      secretAccessKey: entry.secretAccessKey,
      ...(entry.sessionToken ? { sessionToken: entry.sessionToken } : {}),
    },
    queueUrl: entry.queueUrl,
    deadLetterUrl: entry.deadLetterUrl,
    sqsEndpoint: entry.sqsEndpoint,
  };
}
