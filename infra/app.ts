import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { DirectoryInvalidError } from '#shared/domain/directory/index.ts';
import { ReferralExchangeStack } from './stack.ts';

/** The project root: the folder that holds package.json (infra/ lies directly below it). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const STAGE = /^[a-z][a-z0-9-]{0,15}$/;

export interface BuildAppOptions {
  /** Deployment stage; lower-case letters, digits and hyphens, at most 16 characters. */
  readonly stage: string;
  /** The directory file, absolute or relative to the project root. */
  readonly directoryFile: string;
  /** Where the cloud assembly is written. @default the CDK CLI's choice, or a temporary folder */
  readonly outdir?: string;
  /** @default false — see ReferralExchangeStackProps.ephemeral */
  readonly ephemeral?: boolean;
  /** @default process.env.CDK_DEFAULT_ACCOUNT (unset: an environment-agnostic stack) */
  readonly account?: string;
  /** @default process.env.CDK_DEFAULT_REGION, else eu-central-1 */
  readonly region?: string;
  /** @default the API's stage URL — see ReferralExchangeStackProps.publicUrl */
  readonly publicUrl?: string;
  /** @default `rex-<deployment id>-<stage>` — see ReferralExchangeStackProps.signInDomainPrefix */
  readonly signInDomainPrefix?: string;
}

/**
 * Builds the app: validates the directory (an invalid one stops synthesis with
 * every problem listed), creates the stack `ReferralExchange-<stage>` and registers
 * the cdk-nag AWS Solutions and Serverless checks, which run when the app is
 * synthesised.
 */
export function buildApp(options: BuildAppOptions): { app: App; stack: ReferralExchangeStack } {
  if (!STAGE.test(options.stage)) {
    throw new Error(
      `The stage "${options.stage}" is not valid: use lower-case letters, digits and hyphens, at most 16 characters.`,
    );
  }
  if (
    options.publicUrl !== undefined &&
    !/^https:\/\/[a-z0-9.-]+(?::\d+)?(?:\/[\w.~-]+)*\/?$/i.test(options.publicUrl)
  ) {
    throw new Error(
      `The publicUrl "${options.publicUrl}" is not valid: an https:// URL without query or fragment, e.g. https://rex.example.de/api.`,
    );
  }
  const directoryFile = resolve(PROJECT_ROOT, options.directoryFile);
  const directory = loadDirectory(directoryFile);
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const account = options.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const stack = new ReferralExchangeStack(app, `ReferralExchange-${options.stage}`, {
    env: {
      ...(account ? { account } : {}),
      region: options.region ?? process.env.CDK_DEFAULT_REGION ?? 'eu-central-1',
    },
    description: `referral-exchange (${options.stage}): consent-based referrals to migration counselling services`,
    stage: options.stage,
    directory,
    directoryFile,
    projectRoot: PROJECT_ROOT,
    ephemeral: options.ephemeral ?? false,
    ...(options.publicUrl ? { publicUrl: options.publicUrl.replace(/\/+$/, '') } : {}),
    ...(options.signInDomainPrefix ? { signInDomainPrefix: options.signInDomainPrefix } : {}),
    tags: { application: 'referral-exchange', stage: options.stage, deployment: directory.deployment.id },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null ? undefined : String(value);
}

function main(): void {
  // Context comes from cdk.json and `--context key=value`; a bare App reads it. This one
  // must not synthesise itself on exit (the CLI sets that up), or its empty assembly
  // would replace the real one.
  const probe = new App({ autoSynth: false });
  const stage = contextString(probe, 'stage') ?? 'dev';
  const directoryFile = contextString(probe, 'directory') ?? 'config/directory.example.json';
  const ephemeral = contextString(probe, 'ephemeral') === 'true';
  // The region is a data-residency decision: cdk.json fixes it rather than whatever
  // region the operator's shell happens to be configured for.
  const region = contextString(probe, 'region');
  const publicUrl = contextString(probe, 'publicUrl');
  const signInDomainPrefix = contextString(probe, 'signInDomainPrefix');
  try {
    const { app } = buildApp({
      stage,
      directoryFile,
      ephemeral,
      ...(region ? { region } : {}),
      ...(publicUrl ? { publicUrl } : {}),
      ...(signInDomainPrefix ? { signInDomainPrefix } : {}),
    });
    app.synth();
  } catch (error) {
    if (error instanceof DirectoryInvalidError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
