import { spawnSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PEOPLE_PATH_PREFIX } from '#shared/http/people.ts';
import { type RunningPlatform, startPlatformProcess } from './platform-process.ts';
import { exitUnlessPrerequisites } from './preflight.ts';
import { signIn } from './sign-in-client.ts';

/**
 * `npm run demo`: the whole story on one machine, told step by step in plain words.
 * An authority records consents and refers two people (routed to JMD and MBE, with the
 * rule and the reason), each counselling service polls and decrypts its referral with
 * `rex` and reports contact, a third person withdraws consent before the service polls
 * (the referral is revoked and dropped unread), a fourth withdraws consent after the
 * service received the referral (the service is asked to erase it, `rex` deletes its
 * file and confirms), and the data-protection officer produces each person's report —
 * with whom an erasure was communicated to and when each confirmed (GDPR Art. 19) —
 * and verifies the log offline. Exits 0 when every step held.
 */

const REX = fileURLToPath(new URL('../bin/rex.mjs', import.meta.url));
const AUTHORITY = 'authority:abh-lk-karlsruhe';
const DPO_PROFILE = 'dpo-lk-karlsruhe';
const BRUCHSAL = '08215009';

let step = 0;
const say = (text: string) => console.log(`\n${++step}. ${text}`);
const detail = (text: string) => console.log(`   ${text}`);
/** An instant as people read it: German local time. */
const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('de-DE', { timeZone: 'Europe/Berlin' }) : 'not yet';

class DemoFailed extends Error {}
function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new DemoFailed(what);
}

interface Person {
  readonly label: string;
  readonly familyName: string;
  readonly givenNames: string;
  readonly dateOfBirth: string;
  readonly azrNumber: string;
  readonly languages: string[];
}

const yearsAgo = (years: number, extraDays = 40) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - extraDays);
  return d.toISOString().slice(0, 10);
};
const azr = () => `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'keep-files': { type: 'boolean', default: false },
      stay: { type: 'boolean', default: false },
    },
  });
  exitUnlessPrerequisites({ java: true });
  const work = mkdtempSync(join(tmpdir(), 'rex-demo-'));
  say('Starting the local platform (DynamoDB Local, the SQS emulator, the API and its consumers)…');
  const platform = await startPlatformProcess(['--no-throttle']);
  detail(`API at ${platform.apiUrl}, ready in ${(platform.startupMs / 1000).toFixed(1)} s.`);
  try {
    await story(platform, work);
    console.log('\nThe story held at every step. Demo complete.');
    printPages(platform, values.stay);
    if (values.stay) await new Promise<void>((done) => process.once('SIGINT', () => done()));
  } finally {
    await platform.interrupt();
    if (!values['keep-files']) rmSync(work, { recursive: true, force: true });
  }
}

/** The people's pages of this run, with a demo sign-in for each (German first). */
function printPages(platform: RunningPlatform, staying: boolean): void {
  const people = platform.identityProvider.people;
  const one = (unit: string) => people.find((p) => p.unit === unit);
  const line = (label: string, page: string, unit: string) => {
    const p = one(unit);
    if (p) console.log(`  ${label.padEnd(34)} ${platform.apiUrl}/${page}   ${p.email}  ${p.password}`);
  };
  console.log('\nThe same exchange in the browser — Die Seiten für Menschen:');
  line('Ausländerbehörde (clerk desk)', 'authority', AUTHORITY);
  line('Beratungsstelle (office inbox)', 'office', 'service:mbe-caritas-bruchsal');
  line('Datenschutz (DPO page)', 'dpo', 'dpo:lk-karlsruhe');
  console.log(
    staying
      ? '  The platform keeps running with this story in it; Ctrl-C stops it.'
      : '  Start with `npm run demo -- --stay` to keep the platform running and sign in there, or use `npm start`, which prints every demo sign-in.',
  );
}

function rex(platform: RunningPlatform, args: string[]): { status: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [REX, ...args, '--profiles', platform.credentialsFile], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: res.status ?? 1, stdout: res.stdout, stderr: res.stderr };
}

async function api<T = Record<string, unknown>>(
  platform: RunningPlatform,
  principal: string,
  path: string,
  init: { method?: string; body?: unknown; idempotent?: boolean } = {},
): Promise<{ status: number; body: T }> {
  const res = await platform.request(principal, path, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.idempotent ? { headers: { 'idempotency-key': `demo-${randomUUID()}` } } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function story(platform: RunningPlatform, work: string): Promise<void> {
  const people: Person[] = [
    {
      label: 'Amira (19)',
      familyName: 'Haddad',
      givenNames: 'Amira',
      dateOfBirth: yearsAgo(19),
      azrNumber: azr(),
      languages: ['ar', 'de'],
    },
    {
      label: 'Dawit (45)',
      familyName: 'Tesfaye',
      givenNames: 'Dawit',
      dateOfBirth: yearsAgo(45),
      azrNumber: azr(),
      languages: ['ti', 'en'],
    },
    {
      label: 'Olena (33)',
      familyName: 'Kovalenko',
      givenNames: 'Olena',
      dateOfBirth: yearsAgo(33),
      azrNumber: azr(),
      languages: ['uk'],
    },
  ];
  const [amira, dawit, olena] = people as [Person, Person, Person];

  say('The immigration authority asks where each referral would go (routing preview, nothing is stored).');
  const offices = new Map<Person, string>();
  for (const person of people) {
    const preview = await api<{
      office: { id: string; name: string; type: string };
      ruleId: string;
      reason: string;
    }>(platform, AUTHORITY, '/v1/routing/preview', {
      method: 'POST',
      body: {
        dateOfBirth: person.dateOfBirth,
        municipality: BRUCHSAL,
        residenceStatus: 'employment',
        housing: 'other',
        languages: person.languages,
        consentScope: { serviceTypes: ['MBE', 'JMD'], providerIds: [] },
      },
    });
    check(preview.status === 200, `routing preview for ${person.label} answered ${preview.status}`);
    offices.set(person, preview.body.office.id);
    detail(
      `${person.label}: ${preview.body.office.type} — ${preview.body.office.name} (rule ${preview.body.ruleId}).`,
    );
    detail(`   why: ${preview.body.reason}`);
  }
  check(
    offices.get(amira) !== offices.get(dawit),
    'the 19-year-old and the 45-year-old go to different services',
  );

  say('Each responsible counselling service creates its key pair with rex and publishes the public key.');
  const keyDirs = new Map<string, string>();
  for (const officeId of new Set(offices.values())) {
    const profile = `service-${officeId}`;
    const keyDir = join(work, 'keys', officeId);
    keyDirs.set(officeId, keyDir);
    const generated = rex(platform, ['keys', 'generate', '--profile', profile, '--key-dir', keyDir]);
    check(generated.status === 0, `rex keys generate for ${officeId}: ${generated.stderr}`);
    const published = rex(platform, ['keys', 'publish', '--profile', profile, '--key-dir', keyDir]);
    check(published.status === 0, `rex keys publish for ${officeId}: ${published.stderr}`);
    detail(`${officeId}: private key kept in its own folder (mode 0600), public key published.`);
  }

  say('The authority records each person\u2019s consent (signed form on file; only a pseudonym is stored).');
  const consents = new Map<Person, string>();
  for (const person of people) {
    const res = await api<{ id: string; subjectId: string }>(platform, AUTHORITY, '/v1/consents', {
      method: 'POST',
      idempotent: true,
      body: {
        subject: { azrNumber: person.azrNumber, dateOfBirth: person.dateOfBirth },
        givenBy: { role: 'subject' },
        givenAt: new Date(Date.now() - 10 * 60_000).toISOString(),
        scope: { serviceTypes: ['MBE', 'JMD'], providerIds: [] },
        purposes: ['migration-counselling', 'youth-migration-support', 'contact-feedback'],
        dataCategories: ['identity', 'contact', 'address', 'nationality-and-languages', 'needs'],
        evidence: {
          formId: 'lk-ka-einwilligung',
          formVersion: '2026-03',
          language: person.languages[0],
          sha256: 'e'.repeat(64),
        },
      },
    });
    check(res.status === 201, `consent for ${person.label} answered ${res.status}`);
    consents.set(person, res.body.id);
    detail(`${person.label}: consent ${res.body.id}, subject ${res.body.subjectId.slice(0, 16)}…`);
  }

  say('The authority refers each person: the data is encrypted to the service\u2019s key at once.');
  const referrals = new Map<Person, string>();
  for (const person of people) {
    const res = await api<{
      referralId: string;
      serviceOffice: { id: string; type: string; contact?: { phone?: string; openingHours?: string } };
      routing: { reason: string };
    }>(platform, AUTHORITY, '/v1/referrals', {
      method: 'POST',
      idempotent: true,
      body: {
        consentId: consents.get(person),
        caseReference: `ABH-${new Date().getFullYear()}/${randomInt(1000, 9999)}`,
        person: {
          familyName: person.familyName,
          givenNames: person.givenNames,
          dateOfBirth: person.dateOfBirth,
          azrNumber: person.azrNumber,
          languages: person.languages,
          phone: '+49 7251 555 0100',
          address: {
            street: 'Am Alten Schloss 1',
            postalCode: '76646',
            city: 'Bruchsal',
            municipality: BRUCHSAL,
          },
        },
        note: 'Looking for help with a language course and recognition of a qualification.',
      },
    });
    check(res.status === 202, `referral of ${person.label} answered ${res.status}`);
    check(res.body.serviceOffice.id === offices.get(person), `${person.label} was routed as previewed`);
    referrals.set(person, res.body.referralId);
    detail(
      `${person.label}: referral ${res.body.referralId} accepted for ${res.body.serviceOffice.type} ${res.body.serviceOffice.id}.`,
    );
    const contact = res.body.serviceOffice.contact;
    check(contact !== undefined, 'the answer names the office contact');
    detail(
      `   The authority tells ${person.label.split(' ')[0]} where to go: ${contact.phone ?? 'no phone'}, ${contact.openingHours ?? 'no opening hours listed'}.`,
    );
  }

  say(`${olena.label} withdraws consent before her service has polled; the referral is revoked.`);
  const withdrawal = await api(platform, AUTHORITY, `/v1/consents/${consents.get(olena)}/withdrawal`, {
    method: 'POST',
    body: { reason: 'subject-request' },
  });
  check(withdrawal.status === 200, `withdrawal answered ${withdrawal.status}`);
  const revoked = await waitFor(async () => {
    const r = await api<{ status: string }>(platform, AUTHORITY, `/v1/referrals/${referrals.get(olena)}`);
    return r.body.status === 'revoked' ? r : undefined;
  }, 'the revocation');
  detail(`The authority sees: ${revoked.body.status}.`);

  say('Each service polls its own queue with rex: receipt first, then decrypt, check and save.');
  for (const person of people) {
    const officeId = offices.get(person)!;
    const out = join(work, 'inbox', officeId);
    const poll = rex(platform, [
      'inbox',
      'poll',
      '--once',
      '--out',
      out,
      '--profile',
      `service-${officeId}`,
      '--key-dir',
      keyDirs.get(officeId)!,
    ]);
    check(poll.status === 0, `rex inbox poll for ${officeId}: ${poll.stderr}`);
    const file = join(out, `${referrals.get(person)}.json`);
    if (person === olena) {
      check(!existsSync(file), 'the revoked referral was not decrypted');
      check(/revoked/i.test(poll.stderr), 'rex reported the revocation');
      detail(`${officeId}: ${olena.label}\u2019s referral was revoked — dropped unread, nothing saved.`);
      continue;
    }
    check(existsSync(file), `the referral of ${person.label} was saved`);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      person: { familyName: string; givenNames: string };
    };
    check(saved.person.familyName === person.familyName, 'the decrypted data equals what the authority sent');
    detail(
      `${officeId}: saved ${file.split('/').slice(-1)[0]} — ${saved.person.givenNames} ${saved.person.familyName}, as sent.`,
    );
    const contacted = rex(platform, [
      'referral',
      'contacted',
      referrals.get(person)!,
      '--profile',
      `service-${officeId}`,
    ]);
    check(contacted.status === 0, `rex referral contacted: ${contacted.stderr}`);
    const seen = await api<{ status: string }>(platform, AUTHORITY, `/v1/referrals/${referrals.get(person)}`);
    check(seen.body.status === 'contacted', `the authority sees contact for ${person.label}`);
    detail(`${officeId} reports first contact; the authority sees: ${seen.body.status}.`);
  }

  say(
    'The authority\u2019s system collects its events with rex: contact arrives as an event, nobody polls each referral.',
  );
  const eventsFile = join(work, 'authority-events.ndjson');
  const contactedIds = new Set([amira, dawit].map((p) => referrals.get(p)!));
  const events = await waitFor(async () => {
    const poll = rex(platform, [
      'events',
      'poll',
      '--once',
      '--out',
      eventsFile,
      '--state-dir',
      join(work, 'authority-events-state'),
      '--profile',
      AUTHORITY.replace(':', '-'),
    ]);
    check(poll.status === 0, `rex events poll: ${poll.stderr}`);
    if (!existsSync(eventsFile)) return undefined;
    const all = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; referralId: string; at: string });
    const contactEvents = all.filter(
      (e) => e.type === 'referral.contacted' && contactedIds.has(e.referralId),
    );
    return contactEvents.length === contactedIds.size ? all : undefined;
  }, 'the contact events on the authority\u2019s queue');
  for (const person of people) {
    const mine = events.filter((e) => e.referralId === referrals.get(person)).map((e) => e.type);
    detail(`${person.label}: ${mine.join(' → ')}`);
  }
  check(
    events.filter((e) => e.referralId === referrals.get(olena)).some((e) => e.type === 'referral.revoked'),
    'the revocation arrived as an event',
  );
  const text = readFileSync(eventsFile, 'utf8');
  for (const person of people) check(!text.includes(person.familyName), 'the events carry no personal data');
  const feed = await api<{ items: { referralId: string }[] }>(
    platform,
    AUTHORITY,
    '/v1/referrals?status=contacted',
  );
  check(feed.status === 200, `the feed answered ${feed.status}`);
  detail(`The feed of contacted referrals lists ${feed.body.items.length} (ids, status and times only).`);

  say(
    `${dawit.label} withdraws consent after his service received the referral: the platform deletes its encrypted copy at once and asks the service to erase its own (GDPR Arts. 17, 19).`,
  );
  const dawitOffice = offices.get(dawit)!;
  const dawitInbox = join(work, 'inbox', dawitOffice);
  const dawitFile = join(dawitInbox, `${referrals.get(dawit)}.json`);
  check(existsSync(dawitFile), 'the service holds its decrypted copy before the withdrawal');
  const lateWithdrawal = await api(platform, AUTHORITY, `/v1/consents/${consents.get(dawit)}/withdrawal`, {
    method: 'POST',
    body: { reason: 'subject-request' },
  });
  check(lateWithdrawal.status === 200, `withdrawal answered ${lateWithdrawal.status}`);
  type ErasureStatus = {
    recipients: {
      referralId: string;
      serviceOffice: { id: string; name: string };
      erasure: { requestedAt: string; confirmedAt?: string };
    }[];
  };
  const erasureOf = () =>
    api<ErasureStatus>(platform, AUTHORITY, `/v1/consents/${consents.get(dawit)}/erasure`);
  const asked = await waitFor(async () => {
    const r = await erasureOf();
    return r.status === 200 && r.body.recipients.length > 0 ? r : undefined;
  }, 'the erasure request');
  for (const r of asked.body.recipients)
    detail(`Erasure requested from ${r.serviceOffice.name} (${r.serviceOffice.id}); not confirmed yet.`);
  const kept = await api<{ status: number }>(
    platform,
    `service:${dawitOffice}`,
    `/v1/referrals/${referrals.get(dawit)}/ciphertext`,
  );
  check(kept.status === 410, `the platform's ciphertext is gone (${kept.status})`);
  detail('The platform no longer holds the encrypted referral (410 Gone).');

  say(
    'The service polls its queue with rex: the erasure request deletes the file rex wrote, then rex confirms.',
  );
  const erasedPoll = await waitFor(async () => {
    const poll = rex(platform, [
      'inbox',
      'poll',
      '--once',
      '--out',
      dawitInbox,
      '--profile',
      `service-${dawitOffice}`,
      '--key-dir',
      keyDirs.get(dawitOffice)!,
    ]);
    check(poll.status === 0, `rex inbox poll for ${dawitOffice}: ${poll.stderr}`);
    return /erased/.test(poll.stderr) ? poll : undefined;
  }, 'the erasure request on the service queue');
  check(!existsSync(dawitFile), 'rex deleted the decrypted file');
  detail(
    erasedPoll.stderr
      .split('\n')
      .find((l) => l.startsWith('erased'))
      ?.trim() ?? 'erased',
  );
  const confirmed = await waitFor(async () => {
    const r = await erasureOf();
    return r.body.recipients.every((x) => x.erasure.confirmedAt) ? r : undefined;
  }, 'the confirmation');
  for (const r of confirmed.body.recipients)
    detail(
      `The authority sees: erasure confirmed by ${r.serviceOffice.id} at ${when(r.erasure.confirmedAt)} (requested ${when(r.erasure.requestedAt)}).`,
    );

  say(
    'The data-protection officer signs in through the sign-in service (OpenID Connect, no AWS key) and produces each person\u2019s access report (GDPR Art. 15).',
  );
  const officer = platform.identityProvider.people.find((p) => p.unit === 'dpo:lk-karlsruhe');
  check(officer !== undefined, 'a demo officer in the directory');
  const session = await signIn(platform.identityProvider, platform.apiUrl, officer);
  const asOfficer = async <T>(path: string, init: { method?: string; body?: unknown } = {}) => {
    // People call the people's twin of each operation (docs/sign-in.md).
    const res = await fetch(`${platform.apiUrl}${PEOPLE_PATH_PREFIX}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${session.idToken}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  const me = await asOfficer<{ principal: string; person: boolean }>('/v1/whoami');
  check(me.status === 200 && me.body.person, `the officer's sign-in (${me.status})`);
  detail(`Signed in as ${officer.email} for ${me.body.principal}; the page /dpo signs in the same way.`);
  for (const person of people) {
    const lookup = await asOfficer<{ subjectId: string }>('/v1/audit/subjects/lookup', {
      method: 'POST',
      body: { azrNumber: person.azrNumber, dateOfBirth: person.dateOfBirth },
    });
    check(lookup.status === 200, `subject lookup answered ${lookup.status}`);
    const report = await waitFor(async () => {
      const r = await asOfficer<{
        recipients: { serviceOfficeId: string }[];
        consents: { status: string }[];
        erasures: { serviceOfficeId: string; requestedAt: string; confirmedAt: string | null }[];
      }>(`/v1/audit/subjects/${lookup.body.subjectId}/report`);
      const expectRecipient = person !== olena;
      const expectErasure = person === dawit;
      return r.status === 200 &&
        r.body.recipients.length > 0 === expectRecipient &&
        r.body.erasures.some((e) => e.confirmedAt !== null) === expectErasure
        ? r
        : undefined;
    }, `the report of ${person.label}`);
    const recipients = report.body.recipients.map((x) => x.serviceOfficeId).join(', ') || 'none';
    const statuses = report.body.consents.map((c) => c.status).join(', ');
    detail(`${person.label}: received by ${recipients}; consent ${statuses}.`);
    for (const e of report.body.erasures) {
      check(e.confirmedAt !== null, `the report shows ${e.serviceOfficeId}'s confirmation`);
      detail(
        `   Art. 19: erasure communicated to ${e.serviceOfficeId} at ${when(e.requestedAt)}; confirmed at ${when(e.confirmedAt)}.`,
      );
    }
  }
  await session.signOut();
  detail('The officer signs out; the sign-in service ends the session.');

  say(
    'A witness outside the platform checks the newest checkpoint and cosigns it (here with the officer’s read access).',
  );
  const witnessDir = join(work, 'witness');
  const logKeyFile = join(work, 'log-key.txt');
  // The log key is public; a witness pins it once, from the deployment's documentation.
  const keyResponse = await fetch(`${platform.apiUrl}/v1/audit/verifier-key`);
  check(keyResponse.ok, 'the verifier key');
  writeFileSync(logKeyFile, `${((await keyResponse.json()) as { verifierKey: string }).verifierKey}\n`);
  const witness = () =>
    rex(platform, [
      'audit',
      'witness',
      '--profile',
      DPO_PROFILE,
      '--key',
      logKeyFile,
      '--state',
      witnessDir,
      '--name',
      'witness.demo.local/w1',
    ]);
  const cosigned = await waitFor(async () => {
    const r = witness();
    return r.status === 0 ? r : undefined;
  }, 'the first checkpoint');
  detail(cosigned.stdout.trim().split('\n')[0] ?? 'COSIGNED');
  const cosignedFile = cosigned.stdout.match(/cosigned notes (\S+)/)?.[1];
  check(cosignedFile !== undefined, `rex audit witness: ${cosigned.stdout}`);

  say(
    'The officer exports the log and verifies it offline: no entry altered, removed or reordered, and witnessed.',
  );
  const exportDir = join(work, 'export');
  const exported = await waitFor(
    async () => {
      const r = rex(platform, ['audit', 'export', '--profile', DPO_PROFILE, '--out', exportDir]);
      if (r.status !== 0) return undefined;
      const lines = readFileSync(join(exportDir, 'entries.ndjson'), 'utf8').trim().split('\n');
      // Every referral event of the story is in the chain once the sequencer has run.
      return lines.filter((l) => l.includes('"referral.received"')).length >= 2 ? r : undefined;
    },
    'the sequenced log',
    30_000,
  );
  check(exported.status === 0, 'the export');
  const verified = rex(platform, [
    'audit',
    'verify',
    '--entries',
    join(exportDir, 'entries.ndjson'),
    '--checkpoints',
    join(exportDir, 'checkpoints.txt'),
    '--key',
    join(exportDir, 'verifier-key.txt'),
    // The checkpoints the officer has seen are kept with the demo's files.
    '--remember',
    join(work, 'known.checkpoints'),
    '--checkpoints',
    cosignedFile!,
    '--witness',
    join(witnessDir, 'witness-key.txt'),
  ]);
  check(verified.status === 0, `rex audit verify: ${verified.stdout}${verified.stderr}`);
  detail(verified.stdout.trim().split('\n')[0] ?? 'OK');

  say('One entry proven on its own, and the log proven to have only grown since the export.');
  const keyFile = join(exportDir, 'verifier-key.txt');
  const proven = rex(platform, [
    'audit',
    'prove',
    '--profile',
    DPO_PROFILE,
    '--entry',
    '1',
    '--key',
    keyFile,
  ]);
  check(proven.status === 0, `rex audit prove: ${proven.stdout}${proven.stderr}`);
  detail(proven.stdout.trim().split('\n')[0] ?? 'OK');
  const consistent = rex(platform, [
    'audit',
    'consistency',
    '--profile',
    DPO_PROFILE,
    '--key',
    keyFile,
    '--remember',
    join(work, 'known.checkpoints'),
  ]);
  check(consistent.status === 0, `rex audit consistency: ${consistent.stdout}${consistent.stderr}`);
  detail(consistent.stdout.trim().split('\n')[0] ?? 'OK');
  const again = witness();
  check(again.status === 0, `rex audit witness: ${again.stdout}${again.stderr}`);
  detail(again.stdout.trim().split('\n')[0] ?? 'COSIGNED');
  detail(`Export folder ${exportDir} (kept with --keep-files): ${readdirSync(exportDir).join(', ')}.`);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DemoFailed(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

main().catch((error: unknown) => {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  console.error(`\nThe demo stopped: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exit(1);
});
