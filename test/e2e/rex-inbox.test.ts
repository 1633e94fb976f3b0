import { spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMails } from '#local/mail-sink.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { REX, type RexRun, runRex } from '#test/support/rex-cli.ts';
import { consentRequest } from '#test/support/sample-requests.ts';
import { until as waitUntil } from '#test/support/wait.ts';

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const OFFICE = 'mbe-caritas-bruchsal';
const PROFILE = `service-${OFFICE}`;
const OTHER_PROFILE = 'service-mbe-diakonie-bruchsal';

const until = <T>(probe: () => Promise<T | undefined>, what: string) => waitUntil(probe, what, 20_000, 100);

describe('a counselling service works its inbox with rex', () => {
  let platform: RunningPlatform;
  let work: string;
  let sqs: SQSClient;
  let queueUrl: string;
  let deadLetterUrl: string;
  let firstReferral: string;

  const rex = (args: string[]): Promise<RexRun> =>
    runRex(args, { cwd: work, profiles: platform.credentialsFile });

  /** Progress events of `rex inbox poll --json` (JSON lines on stderr). */
  const eventsOf = (run: RexRun) =>
    run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: Record<string, unknown>; summary?: Record<string, number> });

  const person = (dateOfBirth = '1981-03-02') => ({
    azrNumber: `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`,
    familyName: 'Haddad',
    givenNames: 'Rana',
    dateOfBirth,
    nationality: 'SYR',
    languages: ['ar', 'de'],
    phone: '+49 171 5550199',
    address: { street: 'Kaiserstraße 1', postalCode: '76646', city: 'Bruchsal', municipality: '08215009' },
  });
  type Person = ReturnType<typeof person>;

  async function refer(p: Person): Promise<{ referralId: string; consentId: string }> {
    const consent = await platform.request(AUTHORITY, '/v1/consents', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: consentRequest(p, {
        // The person chose Caritas: routing picks its MBE office in Bruchsal.
        scope: { serviceTypes: ['MBE'], providerIds: ['caritas-bruchsal'] },
        purposes: ['migration-counselling'],
        dataCategories: ['identity', 'contact', 'address', 'nationality-and-languages'],
      }),
    });
    expect(consent.status, await consent.clone().text()).toBe(201);
    const consentId = ((await consent.json()) as { id: string }).id;
    const referral = await platform.request(AUTHORITY, '/v1/referrals', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: { consentId, caseReference: 'ABH-2026/0042', person: p },
    });
    expect(referral.status, await referral.clone().text()).toBe(202);
    const accepted = (await referral.json()) as { referralId: string; serviceOffice: { id: string } };
    expect(accepted.serviceOffice.id).toBe(OFFICE);
    return { referralId: accepted.referralId, consentId };
  }

  const statusOf = async (referralId: string): Promise<string> => {
    const res = await platform.request(AUTHORITY, `/v1/referrals/${referralId}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { status: string }).status;
  };
  const untilStatus = (referralId: string, status: string) =>
    until(async () => ((await statusOf(referralId)) === status ? true : undefined), `status ${status}`);

  /** Messages in the office queue, visible and in flight. */
  const queueDepth = async (url = queueUrl): Promise<number> => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = out.Attributes ?? {};
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  const pollOnce = (out: string, ...extra: string[]) =>
    rex(['inbox', 'poll', '--once', '--out', out, '--profile', PROFILE, '--json', ...extra]);

  beforeAll(async () => {
    platform = await startLocalPlatform();
    work = mkdtempSync(join(tmpdir(), 'rex-inbox-'));
    const q = platform.queues.find((x) => x.officeId === OFFICE)!;
    queueUrl = q.queueUrl;
    deadLetterUrl = q.deadLetterUrl;
    sqs = new SQSClient({
      endpoint: platform.sqsEndpoint,
      region: platform.credentials.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      useQueueUrlAsEndpoint: false,
    });
  });
  afterAll(async () => {
    sqs?.destroy();
    await platform?.interrupt();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('publishes a key, polls a referral into a 0600 file, and reports contact to the authority', async () => {
    for (const args of [
      ['keys', 'generate'],
      ['keys', 'publish'],
    ]) {
      const run = await rex([...args, '--profile', PROFILE]);
      expect(run.code, run.stderr).toBe(0);
    }
    const sent = person();
    const { referralId } = await refer(sent);
    await untilStatus(referralId, 'queued');
    // Nobody has to watch the inbox: the office's contact address got a mail, in the
    // platform's mail folder (docs/notifications.md).
    const mail = await until(
      async () => readMails(platform.mailDir, OFFICE).find((m) => m.text.includes(referralId)),
      'the mail to the office',
    );
    expect(mail.headers.subject).toBe('Eine neue Zuweisung wartet / A new referral is waiting');
    expect(mail.text).toContain(`${platform.apiUrl}/office`);
    expect(mail.raw).not.toContain(sent.familyName);

    const out = join(work, 'in-1');
    const polled = await rex(['inbox', 'poll', '--once', '--out', out, '--profile', PROFILE]);
    expect(polled.code, polled.stderr).toBe(0);
    expect(polled.stderr).toContain(`received   ${referralId}`);
    expect(polled.stderr).toContain('Inbox: 1 received, 0 duplicate(s), 0 revoked, 0 failed.');
    const file = join(out, `${referralId}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const referral = JSON.parse(readFileSync(file, 'utf8'));
    expect(referral).toMatchObject({
      schema: 'referral-exchange.referral.v1',
      referralId,
      serviceOfficeId: OFFICE,
    });
    expect(referral.person).toEqual(sent);
    // Personal data reaches the file only, never the terminal.
    expect(polled.stdout + polled.stderr).not.toContain(sent.familyName);
    expect(await statusOf(referralId)).toBe('received');
    expect(await queueDepth()).toBe(0);

    const contacted = await rex(['referral', 'contacted', referralId, '--profile', PROFILE]);
    expect(contacted.code, contacted.stderr).toBe(0);
    expect(await statusOf(referralId)).toBe('contacted');
    const shown = await rex(['referral', 'show', referralId, '--profile', PROFILE, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).history.map((h: { status: string }) => h.status)).toEqual([
      'accepted',
      'queued',
      'received',
      'contacted',
    ]);

    firstReferral = referralId;
  });

  it('long-polls until Ctrl-C, then prints the summary and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [REX, 'inbox', 'poll', '--wait', '1', '--out', join(work, 'in-w'), '--profile', PROFILE],
      {
        cwd: work,
        env: { ...process.env, REX_PROFILES: platform.credentialsFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const closed = new Promise<number | null>((done) => child.once('close', done));
    await until(async () => (stderr.includes('Ctrl-C to stop') ? true : undefined), 'the poll to start');
    // Ctrl-C during a receive: it ends (after at most --wait seconds) and nothing is left hidden.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    child.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stderr).toContain('Inbox: 0 received, 0 duplicate(s), 0 revoked, 0 failed.');
  });

  it("refuses another office's profile with 404", async () => {
    const foreign = await rex(['referral', 'show', firstReferral, '--profile', OTHER_PROFILE]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('404');
    const contacted = await rex(['referral', 'contacted', firstReferral, '--profile', OTHER_PROFILE]);
    expect(contacted.code).toBe(1);
    expect(contacted.stderr).toContain('404');
  });

  it('discards a referral revoked before the poll unread, and the audit log shows the revocation', async () => {
    const { referralId, consentId } = await refer(person());
    await untilStatus(referralId, 'queued');
    const withdrawn = await platform.request(AUTHORITY, `/v1/consents/${consentId}/withdrawal`, {
      method: 'POST',
      body: {},
    });
    expect(withdrawn.status).toBe(200);
    await untilStatus(referralId, 'revoked');
    // The notification and the revocation message are both in the queue.
    await until(async () => ((await queueDepth()) === 2 ? true : undefined), 'the revocation message');

    const out = join(work, 'in-2');
    const polled = await pollOnce(out);
    expect(polled.code, polled.stderr).toBe(0);
    const events = eventsOf(polled);
    expect(events.filter((e) => e.event?.kind === 'revoked').map((e) => e.event?.referralId)).toEqual([
      referralId,
      referralId,
    ]);
    expect(events.at(-1)?.summary).toMatchObject({ received: 0, revoked: 1, failed: 0 });
    expect(existsSync(join(out, `${referralId}.json`))).toBe(false);
    expect(await queueDepth()).toBe(0);

    const auditTable = platform.tables.find((t) => t.endsWith('-audit'))!;
    const dynamodb = new DynamoDBClient({
      endpoint: platform.dynamodbEndpoint,
      region: platform.credentials.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const events = await until(async () => {
        const scan = await dynamodb.send(new ScanCommand({ TableName: auditTable, ConsistentRead: true }));
        const mine = (scan.Items ?? [])
          .map((i) => unmarshall(i))
          .filter((e) => JSON.stringify(e).includes(referralId))
          .map((e) => String(e.event ?? (e.entry as { event?: string } | undefined)?.event));
        return mine.includes('referral.revoked') ? mine : undefined;
      }, 'the audit entry of the revocation');
      expect(events).not.toContain('referral.received');
    } finally {
      dynamodb.destroy();
    }
  });

  it('decrypts referrals encrypted before and after a key rotation', async () => {
    const before = await refer(person('1979-05-06'));
    await untilStatus(before.referralId, 'queued');
    const rotated = await rex(['keys', 'rotate', '--profile', PROFILE, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKid = (JSON.parse(rotated.stdout) as { generated: { kid: string } }).generated.kid;
    const after = await refer(person('1975-01-02'));
    await untilStatus(after.referralId, 'queued');

    const out = join(work, 'in-3');
    const polled = await pollOnce(out);
    expect(polled.code, polled.stderr).toBe(0);
    const received = new Map(
      eventsOf(polled)
        .filter((e) => e.event?.kind === 'received')
        .map((e) => [e.event?.referralId, e.event?.kid]),
    );
    expect(received.size).toBe(2);
    expect(received.get(after.referralId)).toBe(newKid);
    expect(received.get(before.referralId)).not.toBe(newKid);
    expect(JSON.parse(readFileSync(join(out, `${before.referralId}.json`), 'utf8')).person.dateOfBirth).toBe(
      '1979-05-06',
    );
    expect(JSON.parse(readFileSync(join(out, `${after.referralId}.json`), 'utf8')).person.dateOfBirth).toBe(
      '1975-01-02',
    );
  });

  it('reports a corrupted message, leaves it in the queue, and finds it in the dead-letter queue later', async () => {
    const { referralId } = await refer(person('1970-07-07'));
    await untilStatus(referralId, 'queued');
    // Take the real notification out and put a copy with a damaged ciphertext in its place.
    const original = await until(async () => {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      return out.Messages?.[0];
    }, 'the notification');
    const envelope = JSON.parse(original.Body!) as { jwe: string; referralId: string };
    expect(envelope.referralId).toBe(referralId);
    const parts = envelope.jwe.split('.');
    parts[3] = `${parts[3]!.slice(0, -6)}${parts[3]!.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ ...envelope, jwe: parts.join('.') }),
        MessageGroupId: referralId,
        MessageDeduplicationId: `${referralId}:corrupted`,
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: original.ReceiptHandle }));

    const out = join(work, 'in-4');
    const polled = await pollOnce(out, '--visibility-timeout', '0');
    expect(polled.code).toBe(1);
    const failed = eventsOf(polled).filter((e) => e.event?.kind === 'failed');
    expect(failed).toEqual([
      {
        event: expect.objectContaining({
          referralId,
          stage: 'decrypt',
          reason: expect.stringContaining('decryption-failed'),
        }),
      },
    ]);
    expect(eventsOf(polled).at(-1)?.summary).toMatchObject({ failed: 1, received: 0 });
    expect(existsSync(join(out, `${referralId}.json`))).toBe(false);
    expect(await queueDepth()).toBe(1);

    const human = await rex([
      'inbox',
      'poll',
      '--once',
      '--out',
      out,
      '--profile',
      PROFILE,
      '--visibility-timeout',
      '0',
    ]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`FAILED     ${referralId}: cannot decrypt`);
    expect(human.stderr).toContain('1 failed');

    // Exhaust the redrive limit (maxReceiveCount 5): SQS then moves it to the dead-letter queue.
    await until(async () => {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
      );
      return got.Messages?.length ? undefined : (await queueDepth(deadLetterUrl)) === 1 || undefined;
    }, 'the message in the dead-letter queue');
    expect(await queueDepth()).toBe(0);
    const listed = await rex(['dlq', 'list', '--profile', PROFILE, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).messages).toEqual([
      expect.objectContaining({ messageGroupId: referralId, receiveCount: expect.any(Number) }),
    ]);
  });
});
