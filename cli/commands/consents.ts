/**
 * `rex consents receipt` (authorities, DPOs): the receipt of a consent for the person,
 * and `rex consent-forms list|show` (public): the consent form texts a consent's
 * `evidence.formVersion` names by SHA-256 (docs/consent.md), and `rex consents erase` /
 * `rex consents erasure` (authorities, DPOs): the person's erasure request and which
 * recipients confirmed it (GDPR Arts. 17, 19).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { emit, table, UsageError } from '#cli/io.ts';
import { FORM_TEXT_REFERENCE } from '#shared/domain/consent/forms.ts';
import { type ConsentReceipt, ConsentView } from '#shared/schemas/consent.ts';
import { type ErasureStatus, RequestErasureRequest } from '#shared/schemas/referral.ts';

const PROFILE_HELP = `  --profile <name>     profile to sign with (default: REX_PROFILE)
  --profiles <file>    profile file (default: REX_PROFILES, else .local/credentials.json)
  --json               machine-readable output`;

function consentId(ctx: CommandContext): string {
  const id = ctx.positionals[0]!;
  if (!ConsentView.shape.id.safeParse(id).success) {
    throw new UsageError(`"${id}" is not a consent id (8 to 64 letters, digits, hyphens or underscores).`);
  }
  return id;
}

/** Writes to `--out` when given (refusing to overwrite a file), else to stdout. */
function deliver(ctx: CommandContext, text: string, what: string): void {
  const out = ctx.values.out as string | undefined;
  if (out === undefined) {
    ctx.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  const path = resolve(ctx.io.cwd, out);
  try {
    writeFileSync(path, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${out} exists; not overwritten.`);
    throw error;
  }
  ctx.io.stderr.write(`Wrote ${what} to ${path}.\n`);
}

/** The receipt as a person reads it on a terminal, in English (the HTML page has both languages). */
export function describeReceipt(r: ConsentReceipt): string {
  const lines = (items: readonly string[]) => items.map((i) => `    - ${i}`);
  return [
    `Receipt for consent ${r.consentId}  (${r.status})`,
    `  controller    ${r.controller.name}`,
    `  given on      ${r.givenAt}  by ${r.givenBy.label.en}`,
    `  valid until   ${r.validUntil ?? 'withdrawn'}`,
    `  legal basis   ${r.legalBasis.en}`,
    '  purposes',
    ...lines(r.purposes.map((p) => p.label.en)),
    '  data',
    ...lines(r.dataCategories.map((c) => c.label.en)),
    '  recipients',
    ...lines([
      ...r.recipients.serviceTypes.map((s) => `one office of the kind: ${s.name}`),
      ...r.recipients.providers.map((p) => `one office of: ${p.name}`),
    ]),
    `  form          ${r.form.formId}, ${r.form.text?.version ?? r.form.formVersion} (${r.form.language})`,
    `  form sha-256  ${r.form.sha256}`,
    `  withdraw      ${r.withdrawal.en}`,
    `  issued        ${r.issuedAt}`,
  ].join('\n');
}

export const consentReceiptCommand: Command = {
  name: 'consents receipt',
  summary: 'The receipt of a consent for the person (JSON, text or printable HTML)',
  help: `Usage: rex consents receipt <consent-id> [--html] [--out <file>] [--profile <name>] [--json]

The receipt of a recorded consent, for the person (GET /v1/consents/{id}/receipt; an
authority or a data-protection officer): controller, purposes, data categories,
recipients, validity, the form signed and how to withdraw.

  --html               the printable page (German, then English) instead of the summary
  --out <file>         write to this file (never overwrites) instead of stdout
${PROFILE_HELP}`,
  options: { html: { type: 'boolean' }, out: { type: 'string' } },
  positionals: { names: ['consent-id'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const id = consentId(ctx);
    if (ctx.values.html === true) {
      if (ctx.json) throw new UsageError('--html and --json exclude each other.');
      deliver(ctx, await ctx.client().consentReceiptHtml(id), 'the receipt');
      return 0;
    }
    const receipt = await ctx.client().consentReceipt(id);
    if (ctx.values.out !== undefined) {
      deliver(
        ctx,
        ctx.json ? `${JSON.stringify(receipt, null, 2)}\n` : `${describeReceipt(receipt)}\n`,
        'the receipt',
      );
      return 0;
    }
    emit(ctx.io, ctx.json, receipt, () => describeReceipt(receipt));
    return 0;
  },
};

export const consentFormsListCommand: Command = {
  name: 'consent-forms list',
  summary: 'The consent form texts of the deployment and the form version naming each',
  help: `Usage: rex consent-forms list [--profile <name>] [--json]

The consent form texts (GET /v1/consent-forms; public): version, language, SHA-256, and
the evidence.formVersion (sha256-<digest>) a consent names the text with.

${PROFILE_HELP}`,
  options: {},
  needsProfile: true,
  async run(ctx) {
    const { items } = await ctx.client().listConsentForms();
    emit(ctx.io, ctx.json, { items }, () =>
      items.length === 0
        ? 'No consent form texts.'
        : table([
            ['VERSION', 'LANGUAGE', 'FORM VERSION (evidence.formVersion)'],
            ...items.map((i) => [i.version, i.language, i.formVersion]),
          ]),
    );
    return 0;
  },
};

export const consentFormsShowCommand: Command = {
  name: 'consent-forms show',
  summary: 'One consent form text, exactly as signed',
  help: `Usage: rex consent-forms show <sha256> [--out <file>] [--profile <name>] [--json]

The text a consent's evidence.formVersion names (GET /v1/consent-forms/{sha256}; public),
exactly as its file holds it: with --out, the file's SHA-256 is the one asked for.
<sha256> is the 64 hex digits, or the form version sha256-<digest>.

  --out <file>         write the text to this file (never overwrites) instead of stdout
${PROFILE_HELP}`,
  options: { out: { type: 'string' } },
  positionals: { names: ['sha256'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const given = ctx.positionals[0]!.toLowerCase();
    const digest = FORM_TEXT_REFERENCE.exec(given)?.[1] ?? given;
    if (!/^[0-9a-f]{64}$/.test(digest)) {
      throw new UsageError(
        `"${ctx.positionals[0]}" is not a SHA-256 digest (64 hex digits, or sha256-<digest>).`,
      );
    }
    const form = await ctx.client().getConsentForm(digest);
    if (ctx.json) {
      emit(ctx.io, true, form, () => '');
      return 0;
    }
    if (ctx.values.out !== undefined) deliver(ctx, form.text, `the ${form.language} text of ${form.version}`);
    else ctx.io.stdout.write(form.text);
    return 0;
  },
};

/** Which recipients were asked to erase the person's data, and which confirmed (Art. 19). */
export function describeErasure(status: ErasureStatus): string {
  const head = `Erasure under consent ${status.consentId}`;
  const revoked =
    status.revoked !== undefined && status.revoked > 0
      ? [`  ${status.revoked} referral(s) not yet received were revoked; nobody else had the data.`]
      : [];
  if (status.recipients.length === 0)
    return [head, ...revoked, '  No office received data under this consent.'].join('\n');
  const rows = status.recipients.map((r) => [
    r.serviceOffice.name,
    r.referralId,
    r.erasure.requestedAt,
    String(r.erasure.reminders),
    r.erasure.confirmedAt ?? 'not yet',
  ]);
  const open = status.recipients.filter((r) => r.erasure.confirmedAt === undefined).length;
  return [
    head,
    ...revoked,
    table([['OFFICE', 'REFERRAL', 'ASKED', 'REMINDERS', 'CONFIRMED'], ...rows]),
    open === 0 ? 'Every recipient confirmed the erasure.' : `${open} recipient(s) have not confirmed yet.`,
  ].join('\n');
}

const REASONS = RequestErasureRequest.shape.reason.unwrap().options;

export const consentEraseCommand: Command = {
  name: 'consents erase',
  summary: "Record the person's erasure request: every office that received the data is asked to erase it",
  help: `Usage: rex consents erase <consent-id> [--reason <code>] [--key <idempotency-key>] [--profile <name>] [--json]

Records the person's request for erasure (GDPR Art. 17; POST /v1/consents/{id}/erasure,
an authority or a data-protection officer). Referrals not yet received are revoked; every
office that received one is asked to erase it, reminded until it confirms, and the
request and each confirmation are audit entries (docs/consent.md, erasure).

  --reason <code>      why the person asked: ${REASONS.join(', ')}
  --key <key>          the Idempotency-Key (8 to 128 visible characters). Without it a
                       new one is made and printed: give it again to retry safely.
${PROFILE_HELP}`,
  options: { reason: { type: 'string' }, key: { type: 'string' } },
  positionals: { names: ['consent-id'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const id = consentId(ctx);
    const reason = ctx.values.reason as string | undefined;
    const request = RequestErasureRequest.safeParse(reason === undefined ? {} : { reason });
    if (!request.success) throw new UsageError(`--reason must be one of ${REASONS.join(', ')}.`);
    const given = ctx.values.key as string | undefined;
    if (given !== undefined && !/^[\x21-\x7e]{8,128}$/.test(given))
      throw new UsageError('--key must be 8 to 128 visible ASCII characters.');
    const key = given ?? `rex-erasure-${randomUUID()}`;
    if (given === undefined && !ctx.json)
      ctx.io.stderr.write(`Idempotency-Key: ${key} (give --key ${key} to retry)\n`);
    const status = await ctx.client().requestErasure(id, request.data, key);
    emit(ctx.io, ctx.json, status, () => describeErasure(status));
    return 0;
  },
};

export const consentErasureCommand: Command = {
  name: 'consents erasure',
  summary: 'Which recipients were asked to erase the data given under a consent, and which confirmed',
  help: `Usage: rex consents erasure <consent-id> [--profile <name>] [--json]

The erasure status of a consent (GET /v1/consents/{id}/erasure; an authority or a
data-protection officer, who sees the recipients its scope covers): each office asked
to erase, when, how often reminded, and when it confirmed (GDPR Art. 19). The exit
code is 0 when every recipient confirmed, 1 while any has not.

${PROFILE_HELP}`,
  options: {},
  positionals: { names: ['consent-id'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const status = await ctx.client().erasureStatus(consentId(ctx));
    emit(ctx.io, ctx.json, status, () => describeErasure(status));
    return status.recipients.every((r) => r.erasure.confirmedAt !== undefined) ? 0 : 1;
  },
};

export const consentCommands: readonly Command[] = [
  consentReceiptCommand,
  consentEraseCommand,
  consentErasureCommand,
  consentFormsListCommand,
  consentFormsShowCommand,
];
