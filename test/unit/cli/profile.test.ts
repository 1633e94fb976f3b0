import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, UsageError } from '#cli/io.ts';
import { loadProfile } from '#cli/profile.ts';

const SECRET = 'canary-secret-value-0123456789';
let dir: string;

const file = (credentials: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ region: 'eu-central-1', endpoint: 'http://127.0.0.1:3000', credentials, ...extra });

const entry = (profile: string, more: Record<string, unknown> = {}) => ({
  profile,
  principal: `service:${profile.replace(/^service-/, '')}`,
  accessKeyId: 'AKIALOCALABCDEFGHIJK',
  secretAccessKey: SECRET,
  userArn: 'arn:aws:sts::000000000000:assumed-role/x/local-session',
  ...more,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-profile-'));
  mkdirSync(join(dir, '.local'));
  writeFileSync(join(dir, '.local', 'credentials.json'), file([entry('service-mbe-x')]));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('profiles', () => {
  it('reads the local platform credentials file of the current directory by default', () => {
    const p = loadProfile({ profile: 'service-mbe-x', env: {}, cwd: dir });
    expect(p).toMatchObject({
      name: 'service-mbe-x',
      principal: 'service:mbe-x',
      endpoint: 'http://127.0.0.1:3000',
      region: 'eu-central-1',
      credentials: { accessKeyId: 'AKIALOCALABCDEFGHIJK', secretAccessKey: SECRET },
      queueUrl: undefined,
    });
  });

  it('takes the profile from REX_PROFILE and the file from REX_PROFILES, --profiles first', () => {
    writeFileSync(join(dir, 'aws.json'), file([entry('service-mbe-y', { endpoint: 'https://api.example' })]));
    writeFileSync(
      join(dir, 'other.json'),
      file([entry('service-mbe-y', { endpoint: 'https://other.example' })]),
    );
    const fromEnv = loadProfile({
      env: { REX_PROFILE: 'service-mbe-y', REX_PROFILES: 'aws.json' },
      cwd: dir,
    });
    expect(fromEnv.endpoint).toBe('https://api.example');
    const explicit = loadProfile({
      profile: 'service-mbe-y',
      profilesFile: 'other.json',
      env: { REX_PROFILES: 'aws.json' },
      cwd: dir,
    });
    expect(explicit.endpoint).toBe('https://other.example');
  });

  it('carries queue URLs and the SQS endpoint of an office', () => {
    writeFileSync(
      join(dir, 'q.json'),
      file([
        entry('service-mbe-x', { queueUrl: 'q', deadLetterUrl: 'dlq', sqsEndpoint: 'http://127.0.0.1:9324' }),
      ]),
    );
    expect(
      loadProfile({ profile: 'service-mbe-x', profilesFile: 'q.json', env: {}, cwd: dir }),
    ).toMatchObject({
      queueUrl: 'q',
      deadLetterUrl: 'dlq',
      sqsEndpoint: 'http://127.0.0.1:9324',
    });
  });

  it('needs a profile name (usage) and a known profile (failure), never echoing secrets', () => {
    expect(() => loadProfile({ env: {}, cwd: dir })).toThrow(UsageError);
    let error: unknown;
    try {
      loadProfile({ profile: 'nobody', env: {}, cwd: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('service-mbe-x');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('refuses an invalid file without quoting it', () => {
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ credentials: [{ profile: 'x', secretAccessKey: SECRET }] }),
    );
    expect(() => loadProfile({ profile: 'x', profilesFile: 'bad.json', env: {}, cwd: dir })).toThrow(
      /not valid \(credentials\.0\.accessKeyId\)/,
    );
    writeFileSync(join(dir, 'noendpoint.json'), JSON.stringify({ credentials: [entry('x')] }));
    expect(() => loadProfile({ profile: 'x', profilesFile: 'noendpoint.json', env: {}, cwd: dir })).toThrow(
      /no endpoint/,
    );
  });
});
