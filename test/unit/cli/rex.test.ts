import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands, findCommand, run } from '#cli/rex.ts';
import { captureIo } from './support.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-unit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('command line parsing', () => {
  it('finds commands by their words', () => {
    expect(findCommand(['keys', 'retire', '--', 'k1'])?.command.name).toBe('keys retire');
    expect(findCommand(['keys', 'retire', '--', 'k1'])?.rest).toEqual(['--', 'k1']);
    expect(findCommand(['keys'])).toBeUndefined();
  });

  it('prints the overview with --help (exit 0) and without a command (exit 2)', async () => {
    const help = captureIo(dir);
    expect(await run(['--help'], help)).toBe(0);
    for (const c of commands) expect(help.out()).toContain(c.name);
    const none = captureIo(dir);
    expect(await run([], none)).toBe(2);
    expect(none.err()).toContain('Usage: rex <command>');
  });

  it.each(commands.map((c) => [c.name]))('%s has --help', async (name) => {
    const io = captureIo(dir);
    expect(await run([...name.split(' '), '--help'], io)).toBe(0);
    expect(io.out()).toContain(`Usage: rex ${name}`);
  });

  it.each([
    [['nonsense']],
    [['keys', 'frobnicate']],
    [['keys', 'generate', '--bogus']],
    [['keys', 'generate', '--alg']],
    [['keys', 'generate', '--alg', 'RSA1_5', '--key-dir', 'k']],
    [['keys', 'retire']],
    [['keys', 'retire', 'a', 'b']],
    [['keys', 'generate']],
    [['keys', 'publish']],
    [['audit', 'verify', '--checkpoints', 'c', '--key', 'k']],
    [['dlq', 'list', '--max', '0', '--profile', 'x']],
  ])('%j is a usage error (exit 2)', async (argv) => {
    const io = captureIo(dir);
    expect(await run(argv, io)).toBe(2);
    expect(io.err()).not.toBe('');
    expect(io.out()).toBe('');
  });

  it('reports usage errors as JSON with --json', async () => {
    const io = captureIo(dir);
    expect(await run(['keys', 'retire', '--json'], io)).toBe(2);
    expect(JSON.parse(io.err())).toMatchObject({ error: { kind: 'usage' } });
  });
});

describe('rex keys generate', () => {
  it('writes the private key with mode 0600 and never prints it', async () => {
    const io = captureIo(dir, { REX_PROFILE: 'service-mbe-x' });
    expect(await run(['keys', 'generate', '--alg', 'ECDH-ES+A256KW'], io)).toBe(0);
    const keyDir = join(dir, '.local', 'keys', 'service-mbe-x');
    expect(statSync(keyDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(keyDir).sort();
    expect(files).toHaveLength(2);
    const privateFile = join(keyDir, files.find((f) => f.endsWith('.private.jwk.json'))!);
    const publicFile = join(keyDir, files.find((f) => f.endsWith('.public.jwk.json'))!);
    expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(readFileSync(privateFile, 'utf8')) as { kid: string; d: string };
    const publicJwk = JSON.parse(readFileSync(publicFile, 'utf8')) as Record<string, unknown>;
    expect(publicJwk.d).toBeUndefined();
    expect(publicJwk.kid).toBe(privateJwk.kid);
    expect(io.out().split('\n')[0]).toBe(privateJwk.kid);
    expect(io.out() + io.err()).not.toContain(privateJwk.d);
  });

  it('prints kid and file names as JSON, still without private members', async () => {
    const io = captureIo(dir);
    expect(await run(['keys', 'generate', '--key-dir', 'k', '--json'], io)).toBe(0);
    const out = JSON.parse(io.out()) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['alg', 'kid', 'privateKeyFile', 'publicKeyFile']);
    expect(out.alg).toBe('RSA-OAEP-256');
    const privateJwk = JSON.parse(readFileSync(out.privateKeyFile!, 'utf8')) as Record<string, string>;
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      expect(privateJwk[member]).toBeDefined();
      expect(io.out()).not.toContain(privateJwk[member]);
    }
  });
});

describe('failures', () => {
  it('exits 1 with a hint when the profile file is missing', async () => {
    const io = captureIo(dir);
    expect(await run(['whoami', '--profile', 'service-mbe-x'], io)).toBe(1);
    expect(io.err()).toContain('npm start');
  });
});
