/**
 * `rex audit record-of-processing`: fetch is answered with what the audit API renders
 * for the example directory (no network).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '#cli/rex.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { recordOfProcessing } from '#shared/domain/record-of-processing.ts';
import { renderRecordOfProcessingHtml } from '#shared/http/record-of-processing-html.ts';
import { captureIo } from './support.ts';

const record = recordOfProcessing(
  loadDirectory(new URL('../../../config/directory.example.json', import.meta.url).pathname),
  new Date('2026-12-03T12:00:00Z'),
);
let dir: string;
const asked: { path: string; accept: string | null }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-record-'));
  asked.length = 0;
  writeFileSync(
    join(dir, 'profiles.json'),
    JSON.stringify({
      endpoint: 'http://127.0.0.1:9/prod',
      region: 'eu-central-1',
      credentials: [
        { profile: 'dpo', principal: 'dpo:lk-test', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      ],
    }),
  );
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      const headers = new Headers(init.headers);
      asked.push({ path: new URL(url).pathname, accept: headers.get('accept') });
      if (
        headers.get('authorization')?.includes('AKIDEXAMPLE') &&
        new URL(url).pathname.endsWith('/record-of-processing')
      ) {
        const html = headers.get('accept') === 'text/html';
        return new Response(html ? renderRecordOfProcessingHtml(record) : JSON.stringify(record), {
          status: 200,
          headers: { 'content-type': html ? 'text/html; charset=utf-8' : 'application/json' },
        });
      }
      return new Response('{}', { status: 404 });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

const profile = ['--profile', 'dpo', '--profiles', 'profiles.json'];

describe('rex audit record-of-processing', () => {
  it('prints a German-first summary, or the JSON', async () => {
    const io = captureIo(dir);
    expect(await run(['audit', 'record-of-processing', ...profile], io), io.err()).toBe(0);
    expect(io.out()).toContain('Verzeichnis von Verarbeitungstätigkeiten');
    expect(io.out()).toContain(record.recipients[0]!.name);
    expect(asked).toEqual([{ path: '/prod/v1/audit/record-of-processing', accept: 'application/json' }]);
    const json = captureIo(dir);
    expect(await run(['audit', 'record-of-processing', '--json', ...profile], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual(record);
  });

  it('writes the printable page with --html', async () => {
    const io = captureIo(dir);
    expect(await run(['audit', 'record-of-processing', '--html', ...profile], io), io.err()).toBe(0);
    expect(io.out()).toMatch(/^<!doctype html>/);
    expect(asked.at(-1)?.accept).toBe('text/html');
  });

  it('needs a profile (usage error 2)', async () => {
    const io = captureIo(dir);
    expect(await run(['audit', 'record-of-processing'], io)).toBe(2);
  });
});
