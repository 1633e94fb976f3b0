import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '#local/emulators/process-tools.ts';

function start(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const dir = mkdtempSync(join(tmpdir(), 'rex-start-'));
  return spawnSync(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--import',
      'tsx',
      'local/main.ts',
      '--in-memory',
      '--data-dir',
      dir,
      ...args,
    ],
    {
      encoding: 'utf8',
      env,
      timeout: 60_000,
    },
  );
}

describe('npm start explains what to do when it cannot start', () => {
  it('names an occupied API port in one sentence', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const result = start([
        '--port',
        String(port),
        '--dynamodb-port',
        String(await freePort()),
        '--sqs-port',
        '0',
      ]);
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toMatch(
        new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 for the API is already in use: .+\\.$`),
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('says how to install Java when there is none', () => {
    const result = start(['--port', '0', '--sqs-port', '0'], { ...process.env, PATH: '/nonexistent' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^Java is needed to run DynamoDB Local but was not found: install Java 17 or newer/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names every problem of an invalid directory file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rex-dir-'));
    const file = join(dir, 'directory.json');
    writeFileSync(file, JSON.stringify({ schemaVersion: 1 }));
    const result = start(['--directory', file, '--port', '0', '--sqs-port', '0']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('deployment');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a malformed port number', () => {
    const result = start(['--port', 'eighty']);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('--port must be a port number (0–65535), not "eighty".');
  });
});
