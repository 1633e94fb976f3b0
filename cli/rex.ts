/**
 * `rex`: the command line of referral-exchange for counselling services, authorities
 * (their events) and data-protection officers. Subcommands, each with `--help`; human output by
 * default, `--json` for machines. Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { auditExportCommand, auditVerifyCommand } from '#cli/commands/audit.ts';
import { auditConsistencyCommand, auditProveCommand } from '#cli/commands/audit-proofs.ts';
import { auditRecordOfProcessingCommand } from '#cli/commands/audit-record.ts';
import { auditWitnessCommand } from '#cli/commands/audit-witness.ts';
import { consentCommands } from '#cli/commands/consents.ts';
import { dlqListCommand, dlqRedriveCommand } from '#cli/commands/dlq.ts';
import { eventsPollCommand } from '#cli/commands/events.ts';
import { inboxPollCommand } from '#cli/commands/inbox.ts';
import { keysCommands } from '#cli/commands/keys.ts';
import { referralCommands } from '#cli/commands/referral.ts';
import { whoamiCommand } from '#cli/commands/whoami.ts';
import { RexApiError, RexConnectionError } from '#shared/sdk/client.ts';
import { type Command, commandContext } from './command.ts';
import { CliError, type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, UsageError } from './io.ts';

export const commands: readonly Command[] = [
  whoamiCommand,
  ...keysCommands,
  inboxPollCommand,
  eventsPollCommand,
  ...referralCommands,
  ...consentCommands,
  auditExportCommand,
  auditVerifyCommand,
  auditProveCommand,
  auditConsistencyCommand,
  auditWitnessCommand,
  auditRecordOfProcessingCommand,
  dlqListCommand,
  dlqRedriveCommand,
];

const COMMON_OPTIONS: ParseArgsOptionsConfig = {
  profile: { type: 'string' },
  profiles: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: rex <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options: --profile <name>, --profiles <file>, --json, --help.',
    'rex <command> --help describes a command. Guide: docs/rex.md.',
  ].join('\n');
}

/** The command named by the leading words of argv, and the rest of argv. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

/** Runs one command line; returns the exit code. Never calls process.exit, so tests can drive it. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout).write(`${usage()}\n`);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0 && (argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h')) {
      const text = `Usage: rex ${first} <${group.map((c) => c.name.split(' ')[1]).join('|')}> [options]\n`;
      (argv[1] === undefined ? io.stderr : io.stdout).write(text);
      return argv[1] === undefined ? EXIT_USAGE : EXIT_OK;
    }
    io.stderr.write(`rex: unknown command "${argv.slice(0, 2).join(' ')}".\n\n${usage()}\n`);
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    json = values.json === true;
    if (values.help) {
      io.stdout.write(`${command.help}\n`);
      return EXIT_OK;
    }
    const expected = command.positionals ?? { names: [], required: 0 };
    if (positionals.length < expected.required) {
      throw new UsageError(`Missing <${expected.names.slice(positionals.length).join('> <')}>.`);
    }
    if (positionals.length > expected.names.length) {
      throw new UsageError(`Unexpected argument "${positionals[expected.names.length]}".`);
    }
    return await command.run(commandContext(io, values, positionals));
  } catch (error) {
    return report(io, command, error, json);
  }
}

function report(io: CliIo, command: Command, error: unknown, json: boolean): number {
  const write = (human: string, machine: Record<string, unknown>, code: number) => {
    io.stderr.write(json ? `${JSON.stringify({ error: machine })}\n` : `rex ${command.name}: ${human}\n`);
    return code;
  };
  if (error instanceof UsageError) {
    return write(
      `${error.message}\nSee: rex ${command.name} --help`,
      { kind: 'usage', message: error.message },
      EXIT_USAGE,
    );
  }
  // parseArgs reports unknown options and missing values with these codes.
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    const message = (error as Error).message.split('\n')[0] ?? 'invalid arguments';
    return write(`${message}\nSee: rex ${command.name} --help`, { kind: 'usage', message }, EXIT_USAGE);
  }
  if (error instanceof RexApiError) {
    const lines = [`the API answered ${error.status} (${error.code}): ${error.detail ?? error.title}`];
    for (const issue of error.errors) lines.push(`  ${issue.field}: ${issue.reason}`);
    return write(lines.join('\n'), { kind: 'api', ...error.problem }, EXIT_FAILURE);
  }
  if (error instanceof RexConnectionError) {
    return write(error.message, { kind: 'connection', message: error.message }, EXIT_FAILURE);
  }
  if (error instanceof CliError) {
    return write(
      error.message,
      { kind: 'failure', message: error.message, ...error.details },
      error.exitCode,
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return write(`${name}: ${message}`, { kind: 'error', name, message }, EXIT_FAILURE);
}
