import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  checkpointOfHead,
  Ed25519Signer,
  signCheckpoint,
  verifierKeyOf,
} from '#shared/domain/audit/checkpoint.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { type RexRun, runRex } from '#test/support/rex-cli.ts';

const OFFICE = 'mbe-caritas-bruchsal';
const PROFILE = `service-${OFFICE}`;

describe('rex against the local platform', () => {
  let platform: RunningPlatform;
  let work: string;
  const outputs: string[] = [];

  /** Runs the real bin/rex.mjs as a user would, in a scratch directory. */
  const rex = async (args: string[], env: Record<string, string> = {}): Promise<RexRun> => {
    const run = await runRex(args, { cwd: work, profiles: platform.credentialsFile, env });
    outputs.push(run.stdout, run.stderr);
    return run;
  };

  const publicKeys = async () => {
    const res = await fetch(`${platform.apiUrl}/v1/services/${OFFICE}/keys`);
    expect(res.status).toBe(200);
    return (await res.json()) as { current: string | null; keys: { kid: string }[] };
  };

  beforeAll(async () => {
    platform = await startLocalPlatform();
    work = mkdtempSync(join(tmpdir(), 'rex-cli-'));
  });
  afterAll(async () => {
    await platform?.interrupt();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('whoami names the service office of the profile', async () => {
    const run = await rex(['whoami', '--profile', PROFILE, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ principal: `service:${OFFICE}`, kind: 'service' });
  });

  it('generates, publishes, rotates and retires keys; never prints private material', async () => {
    const generated = await rex(['keys', 'generate', '--profile', PROFILE, '--json']);
    expect(generated.code, generated.stderr).toBe(0);
    const first = JSON.parse(generated.stdout) as { kid: string; privateKeyFile: string };
    expect(first.privateKeyFile).toBe(join(work, '.local', 'keys', PROFILE, `${first.kid}.private.jwk.json`));
    expect(statSync(first.privateKeyFile).mode & 0o777).toBe(0o600);

    const published = await rex(['keys', 'publish'], { REX_PROFILE: PROFILE });
    expect(published.code, published.stderr).toBe(0);
    expect(await publicKeys()).toMatchObject({ current: first.kid, keys: [{ kid: first.kid }] });

    const rotated = await rex(['keys', 'rotate', '--alg', 'ECDH-ES+A256KW', '--profile', PROFILE, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const second = (JSON.parse(rotated.stdout) as { generated: { kid: string; privateKeyFile: string } })
      .generated;
    const afterRotation = await publicKeys();
    expect(afterRotation.current).toBe(second.kid);
    expect(afterRotation.keys.map((k) => k.kid)).toEqual([first.kid, second.kid]);

    // The current key cannot go without a successor; the old one can.
    const refused = await rex(['keys', 'retire', '--profile', PROFILE, '--', second.kid]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409');
    const retired = await rex(['keys', 'retire', '--profile', PROFILE, '--', first.kid]);
    expect(retired.code, retired.stderr).toBe(0);
    expect(await publicKeys()).toMatchObject({ current: second.kid, keys: [{ kid: second.kid }] });

    // Publishing again skips the retired key.
    const republished = await rex(['keys', 'publish', '--profile', PROFILE]);
    expect(republished.code, republished.stderr).toBe(0);

    const listed = await rex(['keys', 'list', '--profile', PROFILE, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = (
      JSON.parse(listed.stdout) as { keys: { kid: string; status: string; privateKeyPresent: boolean }[] }
    ).keys;
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kid: first.kid, status: 'retired', privateKeyPresent: true }),
        expect.objectContaining({ kid: second.kid, status: 'current', privateKeyPresent: true }),
      ]),
    );

    for (const file of [first.privateKeyFile, second.privateKeyFile]) {
      const d = (JSON.parse(readFileSync(file, 'utf8')) as { d: string }).d;
      expect(d.length).toBeGreaterThan(20);
      for (const text of outputs) expect(text).not.toContain(d);
    }
  });

  it('verifies an audit export offline and names the sequence of a tampered line', async () => {
    const drafts = Array.from({ length: 7 }, (_, i) =>
      auditDraft({
        event: 'keys.published',
        actor: `service:${OFFICE}`,
        serviceOfficeId: OFFICE,
        time: new Date(Date.UTC(2026, 10, 2, 8, 0, i)),
      }),
    );
    const { entries, head } = sequenceDrafts(null, drafts);
    const signer = Ed25519Signer.generate('rex.test/audit');
    const note = await signCheckpoint(checkpointOfHead('rex.test/audit', head, new Date()), signer);
    const key = await verifierKeyOf(signer);
    const entriesFile = join(work, 'entries.ndjson');
    const checkpointsFile = join(work, 'checkpoints.txt');
    const keyFile = join(work, 'verifier.key');
    writeFileSync(entriesFile, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`);
    writeFileSync(checkpointsFile, note);
    writeFileSync(keyFile, `${key}\n`);

    const ok = await rex([
      'audit',
      'verify',
      '--entries',
      entriesFile,
      '--checkpoints',
      checkpointsFile,
      '--key',
      keyFile,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('OK: 7 entries verified');

    const lines = readFileSync(entriesFile, 'utf8').split('\n');
    lines[3] = lines[3]!.replace('"keys.published"', '"keys.retired"');
    writeFileSync(entriesFile, lines.join('\n'));
    const tampered = await rex([
      'audit',
      'verify',
      '--entries',
      entriesFile,
      '--checkpoints',
      checkpointsFile,
      '--key',
      key,
    ]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('FAILED: modified at sequence 4 (line 4)');
  });

  it("lists and redrives the office's dead-letter queue without showing message bodies", async () => {
    const queue = platform.queues.find((q) => q.officeId === OFFICE)!;
    const sqs = new SQSClient({
      endpoint: platform.sqsEndpoint,
      region: platform.credentials.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      useQueueUrlAsEndpoint: false,
    });
    try {
      const body = 'canary-body-3f9a';
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.deadLetterUrl,
          MessageBody: body,
          MessageGroupId: 'referral-1',
          MessageDeduplicationId: 'referral-1-notify',
        }),
      );
      const listed = await rex(['dlq', 'list', '--profile', PROFILE, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).messages).toEqual([
        expect.objectContaining({ messageId: sent.MessageId, sizeBytes: body.length }),
      ]);
      const human = await rex(['dlq', 'list', '--profile', PROFILE]);
      expect(human.stdout).toContain(sent.MessageId!);
      for (const text of [listed.stdout, human.stdout, listed.stderr]) expect(text).not.toContain(body);

      const redriven = await rex(['dlq', 'redrive', '--profile', PROFILE, '--json']);
      expect(redriven.code, redriven.stderr).toBe(0);
      expect(JSON.parse(redriven.stdout)).toMatchObject({ moved: 1 });

      const deadline = Date.now() + 10_000;
      let received: string | undefined;
      while (received === undefined && Date.now() < deadline) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.queueUrl,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        received = out.Messages?.[0]?.Body;
      }
      expect(received).toBe(body);
      const empty = await rex(['dlq', 'list', '--profile', PROFILE, '--json']);
      expect(JSON.parse(empty.stdout).messages).toEqual([]);
    } finally {
      sqs.destroy();
    }
  });
});
