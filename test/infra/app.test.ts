import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp, PROJECT_ROOT } from '#infra/app.ts';
import { assertLocalEsbuild } from '#infra/constructs/function.ts';
import { DirectoryInvalidError } from '#shared/domain/directory/index.ts';
import { DIRECTORY_FILE } from './synth.ts';

describe('buildApp', () => {
  it('stops on an invalid directory file and names every problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rex-dir-'));
    const file = join(dir, 'directory.json');
    const directory = JSON.parse(readFileSync(DIRECTORY_FILE, 'utf8')) as { serviceOffices: unknown[] };
    directory.serviceOffices = [];
    writeFileSync(file, JSON.stringify(directory));
    expect(() => buildApp({ stage: 'test', directoryFile: file, outdir: dir })).toThrow(
      DirectoryInvalidError,
    );
    expect(() => buildApp({ stage: 'test', directoryFile: file, outdir: dir })).toThrow(/serviceOffices/);
  });

  it('refuses a stage that cannot be part of resource names', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rex-stage-'));
    for (const stage of ['', 'Prod', 'a_b', 'x'.repeat(17)]) {
      expect(() => buildApp({ stage, directoryFile: DIRECTORY_FILE, outdir }), stage).toThrow(/stage/);
    }
  });

  it('names the stack after the stage and places it in the chosen region', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rex-name-'));
    const { stack } = buildApp({ stage: 'qa', directoryFile: DIRECTORY_FILE, outdir, region: 'eu-west-1' });
    expect(stack.stackName).toBe('ReferralExchange-qa');
    expect(stack.region).toBe('eu-west-1');
  });

  it('stops with a clear message when the project has no esbuild, instead of bundling in Docker', () => {
    const root = mkdtempSync(join(tmpdir(), 'rex-root-'));
    expect(() => assertLocalEsbuild(root)).toThrow(/esbuild is not installed.*npm ci.*never in Docker/);
    expect(() => assertLocalEsbuild(PROJECT_ROOT)).not.toThrow();
  });
});
