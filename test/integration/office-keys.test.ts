import { generateKeyPairSync } from 'node:crypto';
import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { getOfficeKeys, publishOfficeKeys, retireOfficeKey } from '#shared/api/keys.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
let handler: ProxyHandler;
let currentRecipientKey: (officeId: string) => Promise<{ kid: string } | undefined>;

const OFFICE = 'mbe-caritas-bruchsal';
const OTHER = 'jmd-ib-bruchsal';
const SERVICE = `service:${OFFICE}`;

const ecKey = async () => (await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' })).publicJwk;

const publish = (principal: string | undefined, officeId: string, body: unknown) =>
  invoke(
    handler,
    apiEvent(publishOfficeKeys, { principal, stage: emu.stage, params: { id: officeId }, body }),
  );
const retireKey = (principal: string, officeId: string, kid: string, body: unknown = {}) =>
  invoke(
    handler,
    apiEvent(retireOfficeKey, { principal, stage: emu.stage, params: { id: officeId, kid }, body }),
  );
const getKeys = (officeId: string) =>
  invoke(handler, apiEvent(getOfficeKeys, { stage: emu.stage, params: { id: officeId } }));

/** The office's audit drafts, read from the table (the DPO indexes hold them once they are sequenced). */
async function auditEvents(officeId: string): Promise<{ event: string; actor: string }[]> {
  const out = await emu.dynamodb.send(
    new ScanCommand({ TableName: `rex-${emu.stage}-audit`, ConsistentRead: true }),
  );
  return (out.Items ?? [])
    .map((i) => unmarshall(i))
    .filter((i) => i.serviceOfficeId === officeId)
    .sort((a, b) => String(a.timeKey).localeCompare(String(b.timeKey)))
    .map((i) => i.entry as { event: string; actor: string });
}

beforeAll(async () => {
  await emu.createTables();
  Object.assign(process.env, emu.env());
  handler = (await import('#functions/office-keys.ts')).handler as unknown as ProxyHandler;
  const keys = await import('#shared/application/office-keys.ts');
  const { officeKeysDependencies } = await import('#functions/composition.ts');
  currentRecipientKey = (officeId) => keys.currentRecipientKey(officeKeysDependencies(), officeId);
});

describe('office keys API', () => {
  it('publishes, rotates and retires with overlap, and serves the public JWKS', async () => {
    const first = (await generateRecipientKeyPair()).publicJwk;
    const res1 = await publish(SERVICE, OFFICE, { keys: [first] });
    expect(res1.status).toBe(200);
    expect(res1.body).toMatchObject({ officeId: OFFICE, current: first.kid, keys: [first] });
    expect((await currentRecipientKey(OFFICE))?.kid).toBe(first.kid);

    // Idempotent: the same document again changes nothing and writes no second audit entry.
    expect((await publish(SERVICE, OFFICE, { keys: [first] })).status).toBe(200);
    expect((await auditEvents(OFFICE)).filter((e) => e.event === 'keys.published')).toHaveLength(1);

    const second = await ecKey();
    const res2 = await publish(SERVICE, OFFICE, { keys: [second] });
    expect(res2.body.current).toBe(second.kid);
    expect(res2.body.keys.map((k: { kid: string }) => k.kid)).toEqual([first.kid, second.kid]);
    expect((await currentRecipientKey(OFFICE))?.kid).toBe(second.kid);

    // The current key needs a successor.
    const refused = await retireKey(SERVICE, OFFICE, second.kid);
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe('successor-required');

    const retired = await retireKey(SERVICE, OFFICE, first.kid);
    expect(retired.status).toBe(200);
    expect(retired.body.keys.map((k: { kid: string }) => k.kid)).toEqual([second.kid]);
    expect(retired.body.history.find((h: { kid: string }) => h.kid === first.kid).retiredAt).toEqual(
      expect.any(String),
    );

    // A retired kid is never published again.
    const again = await publish(SERVICE, OFFICE, { keys: [first] });
    expect(again.status).toBe(409);

    const pub = await getKeys(OFFICE);
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({ officeId: OFFICE, current: second.kid, keys: [second] });

    const events = await auditEvents(OFFICE);
    expect(events.map((e) => e.event).sort()).toEqual(['keys.published', 'keys.published', 'keys.retired']);
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set([SERVICE]));
  });

  it('retires the current key together with a successor', async () => {
    const office = 'mbe-caritas-ettlingen';
    const principal = `service:${office}`;
    const [a, b] = [await ecKey(), await ecKey()];
    await publish(principal, office, { keys: [a, b], current: a.kid });
    const res = await retireKey(principal, office, a.kid, { successor: b.kid });
    expect(res.status).toBe(200);
    expect(res.body.current).toBe(b.kid);
    expect((await retireKey(principal, office, 'no-such-kid')).status).toBe(404);
  });

  it('refuses each bad key kind, naming the member', async () => {
    const good = await ecKey();
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const privateEc = (await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' })).privateJwk;
    const cases: [unknown, string][] = [
      [{ ...privateEc }, 'keys[0].d'],
      [{ ...weak, kid: 'weak', use: 'enc', alg: 'RSA-OAEP-256' }, 'keys[0].n'],
      [{ ...good, use: 'sig' }, 'keys[0].use'],
      [{ ...good, alg: 'RSA-OAEP-256' }, 'keys[0].alg'],
      [{ ...good, crv: 'P-384' }, 'keys[0].crv'],
    ];
    for (const [key, field] of cases) {
      const res = await publish(SERVICE, OFFICE, { keys: [key] });
      expect(res.status, field).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const dup = await publish(SERVICE, OFFICE, { keys: [good, good] });
    expect(dup.status).toBe(400);
    expect(dup.body.errors).toContainEqual({ field: 'keys[1].kid', reason: 'duplicate kid' });
    // The refusal names fields, never key material.
    expect(JSON.stringify(dup.body)).not.toContain((good as { x: string }).x);
  });

  it('hides other offices (404) and refuses other principal kinds (403)', async () => {
    const key = await ecKey();
    expect((await publish(`service:${OTHER}`, OFFICE, { keys: [key] })).status).toBe(404);
    expect((await publish(SERVICE, 'no-such-office', { keys: [key] })).status).toBe(404);
    expect((await retireKey(`service:${OTHER}`, OFFICE, key.kid)).status).toBe(404);
    for (const principal of ['authority:abh-lk-karlsruhe', 'dpo:lk-karlsruhe', 'operator']) {
      const res = await publish(principal, OFFICE, { keys: [key] });
      expect(res.status, principal).toBe(403);
    }
    expect((await publish(undefined, OFFICE, { keys: [key] })).status).toBe(401);
    expect((await getKeys('no-such-office')).status).toBe(404);
    const empty = await getKeys('im-lk-karlsruhe');
    expect(empty.body).toMatchObject({ current: null, keys: [], history: [] });
  });

  it('loses no publication under concurrency and keeps attributes of other writers', async () => {
    const office = 'jmd-caritas-bruchsal';
    const principal = `service:${office}`;
    const table = `rex-${emu.stage}-records`;
    // Intake keeps its own counter on the same item.
    await emu.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: marshall({ pk: `OFFICE#${office}`, sk: 'STATE', openReferrals: 3 }),
      }),
    );
    const keys = await Promise.all(Array.from({ length: 6 }, ecKey));
    const results = await Promise.all(keys.map((k) => publish(principal, office, { keys: [k] })));
    expect(results.map((r) => r.status)).toEqual(keys.map(() => 200));

    const view = (await getKeys(office)).body;
    expect(new Set(view.keys.map((k: { kid: string }) => k.kid))).toEqual(new Set(keys.map((k) => k.kid)));
    const item = unmarshall(
      (
        await emu.dynamodb.send(
          new GetItemCommand({ TableName: table, Key: marshall({ pk: `OFFICE#${office}`, sk: 'STATE' }) }),
        )
      ).Item!,
    );
    expect(item.openReferrals).toBe(3);
    expect(item.version).toBe(6);
    expect((await auditEvents(office)).filter((e) => e.event === 'keys.published')).toHaveLength(6);
  });
});
