import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, table, UsageError } from '#cli/io.ts';
import {
  DECLINE_REASONS,
  ReferralIdParams,
  ReferralPayloadV1,
  type ReferralPerson,
  type ReferralView,
  type ReportStatusRequest,
} from '#shared/schemas/referral.ts';

const CLOSE_REASONS = ['counselling-completed', 'person-moved', 'other'] as const;

const PROFILE_HELP = `  --profile <name>     profile to sign with (default: REX_PROFILE)
  --profiles <file>    profile file (default: REX_PROFILES, else .local/credentials.json)
  --json               machine-readable output`;

function referralId(ctx: CommandContext): string {
  const id = ctx.positionals[0]!;
  if (!ReferralIdParams.shape.id.safeParse(id).success) {
    throw new UsageError(`"${id}" is not a referral id (ref_ followed by 26 letters and digits).`);
  }
  return id;
}

/** A referral as a person reads it: no personal data, the platform has none. */
export function describeReferral(view: ReferralView): string {
  return [
    `${view.referralId}  ${view.status}`,
    `  office          ${view.serviceOffice.id} (${view.serviceOffice.name})`,
    `  authority       ${view.authorityId}`,
    `  case reference  ${view.caseReference}`,
    `  consent         ${view.consentId}`,
    `  data            ${view.dataCategories.join(', ')}`,
    `  created         ${view.createdAt}`,
    ...(view.forwardedFrom
      ? [`  forwarded from  ${view.forwardedFrom.referralId} (${view.forwardedFrom.serviceOffice.id})`]
      : []),
    ...(view.forwardedTo
      ? [`  forwarded to    ${view.forwardedTo.referralId} (${view.forwardedTo.serviceOffice.id})`]
      : []),
    '',
    table([
      ['STATUS', 'AT', 'BY', 'REASON'],
      ...view.history.map((h) => [h.status, h.at, h.by, h.reason ?? '']),
    ]),
  ].join('\n');
}

function reasonOf<T extends string>(ctx: CommandContext, allowed: readonly T[]): T | undefined {
  const reason = ctx.values.reason as string | undefined;
  if (reason === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(reason)) {
    throw new UsageError(`--reason must be one of: ${allowed.join(', ')}.`);
  }
  return reason as T;
}

async function report(ctx: CommandContext, body: ReportStatusRequest): Promise<number> {
  const id = referralId(ctx);
  const view = await ctx.client().reportStatus(id, body);
  emit(ctx.io, ctx.json, view, () => `Reported ${body.status}. ${view.referralId} is now ${view.status}.`);
  return 0;
}

/**
 * The person data to re-submit when forwarding: taken from the referral file that
 * `rex inbox poll` wrote (the decrypted payload). The platform kept no plaintext, so the
 * office sends it again; the file must be the one of this referral. Errors name fields,
 * never values.
 */
export function forwardedData(
  cwd: string,
  file: string,
  referralId: string,
): { person: ReferralPerson; note?: string } {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`Cannot read the referral file ${path}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not JSON; name the referral file rex inbox poll wrote.`);
  }
  const parsed = ReferralPayloadV1.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(file)'))];
    throw new CliError(`${path} is not a referral file written by rex inbox poll (${fields.join(', ')}).`, {
      fields,
    });
  }
  if (parsed.data.referralId !== referralId) {
    throw new CliError(
      `${path} holds referral ${parsed.data.referralId}, not ${referralId}; name this referral's file.`,
    );
  }
  return {
    person: parsed.data.person,
    ...(parsed.data.note !== undefined ? { note: parsed.data.note } : {}),
  };
}

export const referralShowCommand: Command = {
  name: 'referral show',
  summary: 'Show a referral of the office: status and history (no personal data)',
  help: `Usage: rex referral show <referral-id> [--profile <name>] [--json]

Shows what the platform knows about one of the office's referrals
(GET /v1/referrals/<id>): status, authority, case reference, data categories and
the status history. The person's data is only in the file rex inbox poll wrote.
Another office's referral answers 404.

${PROFILE_HELP}`,
  options: {},
  positionals: { names: ['referral-id'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const view = await ctx.client().getReferral(referralId(ctx));
    emit(ctx.io, ctx.json, view, () => describeReferral(view));
    return 0;
  },
};

export const referralContactedCommand: Command = {
  name: 'referral contacted',
  summary: 'Report that first contact with the person was made',
  help: `Usage: rex referral contacted <referral-id> [--profile <name>] [--json]

Reports to the referring authority that the office made first contact
(received → contacted). Reporting it again changes nothing.

${PROFILE_HELP}`,
  options: {},
  positionals: { names: ['referral-id'], required: 1 },
  needsProfile: true,
  run: (ctx) => report(ctx, { status: 'contacted' }),
};

export const referralCloseCommand: Command = {
  name: 'referral close',
  summary: 'Close a referral (counselling completed, person moved, other)',
  help: `Usage: rex referral close <referral-id> [--reason <reason>] [--profile <name>] [--json]

Closes the referral (received or contacted → closed).

  --reason <reason>    ${CLOSE_REASONS.join(' | ')}
${PROFILE_HELP}`,
  options: { reason: { type: 'string' } },
  positionals: { names: ['referral-id'], required: 1 },
  needsProfile: true,
  run(ctx) {
    const reason = reasonOf(ctx, CLOSE_REASONS);
    return report(ctx, { status: 'closed', ...(reason ? { reason } : {}) });
  },
};

export const referralDeclineCommand: Command = {
  name: 'referral decline',
  summary: 'Decline a referral with a reason code, optionally forwarding it to another office',
  help: `Usage: rex referral decline <referral-id> --reason <reason> [--forward-to <office-id> --data <file>] [--profile <name>] [--json]

Declines the referral, e.g. because another office is responsible. The reason is
a code, never free text, so that no personal data reaches the platform.

With --forward-to the referral goes to another service office: the platform kept
no plaintext, so the person's data is sent again from the referral file that
rex inbox poll wrote (--data). The platform checks that it is the same person, that
the consent covers the other office and every data category, and that the office
serves the person's municipality; it then encrypts the data to that office and
prints the new referral's id. Repeating the command answers the same.

  --reason <reason>      ${DECLINE_REASONS.join(' | ')} (required)
  --forward-to <id>      the service office (directory id) to forward to
  --data <file>          the referral file of rex inbox poll (required with --forward-to)
${PROFILE_HELP}`,
  options: { reason: { type: 'string' }, 'forward-to': { type: 'string' }, data: { type: 'string' } },
  positionals: { names: ['referral-id'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const reason = reasonOf(ctx, DECLINE_REASONS);
    if (reason === undefined) throw new UsageError(`--reason is required: ${DECLINE_REASONS.join(', ')}.`);
    const forwardTo = ctx.values['forward-to'] as string | undefined;
    const data = ctx.values.data as string | undefined;
    if (forwardTo === undefined) {
      if (data !== undefined) throw new UsageError('--data goes with --forward-to.');
      return report(ctx, { status: 'declined', reason });
    }
    if (data === undefined) {
      throw new UsageError(
        '--forward-to needs --data <file>: the referral file rex inbox poll wrote for this referral.',
      );
    }
    const id = referralId(ctx);
    const resubmitted = forwardedData(ctx.io.cwd, data, id);
    const view = await ctx.client().reportStatus(id, {
      status: 'declined',
      reason,
      forwardTo,
      ...resubmitted,
    });
    emit(ctx.io, ctx.json, view, () =>
      view.forwardedTo
        ? `Declined ${view.referralId} and forwarded it to ${view.forwardedTo.serviceOffice.id}: new referral ${view.forwardedTo.referralId}.`
        : `${view.referralId} is ${view.status}.`,
    );
    return 0;
  },
};

export const referralCommands = [
  referralShowCommand,
  referralContactedCommand,
  referralCloseCommand,
  referralDeclineCommand,
];
