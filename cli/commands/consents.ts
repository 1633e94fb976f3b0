/**
 * `rex consents receipt` (authorities, DPOs): the receipt of a consent for the person,
 * and `rex consent-forms list|show` (public): the consent form texts a consent's
 * `evidence.formVersion` names by SHA-256 (docs/consent.md).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { emit, table, UsageError } from '#cli/io.ts';
import { FORM_TEXT_REFERENCE } from '#shared/domain/consent/forms.ts';
import { type ConsentReceipt, ConsentView } from '#shared/schemas/consent.ts';

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

export const consentCommands: readonly Command[] = [
  consentReceiptCommand,
  consentFormsListCommand,
  consentFormsShowCommand,
];
