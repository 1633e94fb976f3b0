import {
  DECLINE_REASONS,
  ReferralIdParams,
  type ReferralView,
  type ReportStatusRequest,
} from '../../shared/schemas/referral.ts';
import type { Command, CommandContext } from '../command.ts';
import { CliError, emit, table, UsageError } from '../io.ts';

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
  summary: 'Decline a referral with a reason code',
  help: `Usage: rex referral decline <referral-id> --reason <reason> [--profile <name>] [--json]

Declines the referral, e.g. because another office is responsible. The reason is
a code, never free text, so that no personal data reaches the platform.

  --reason <reason>    ${DECLINE_REASONS.join(' | ')} (required)
  --forward-to <id>    not supported by this platform version (refused)
${PROFILE_HELP}`,
  options: { reason: { type: 'string' }, 'forward-to': { type: 'string' } },
  positionals: { names: ['referral-id'], required: 1 },
  needsProfile: true,
  run(ctx) {
    if (ctx.values['forward-to'] !== undefined) {
      throw new CliError(
        'Forwarding is not supported by this platform version. Decline with --reason not-responsible; the authority then refers the person anew.',
      );
    }
    const reason = reasonOf(ctx, DECLINE_REASONS);
    if (reason === undefined) throw new UsageError(`--reason is required: ${DECLINE_REASONS.join(', ')}.`);
    return report(ctx, { status: 'declined', reason });
  },
};

export const referralCommands = [
  referralShowCommand,
  referralContactedCommand,
  referralCloseCommand,
  referralDeclineCommand,
];
