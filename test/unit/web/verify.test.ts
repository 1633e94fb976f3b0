import { generateKeyPairSync, randomInt, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { entryHash, headRoot, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  type CheckpointSigner,
  checkpointOfHead,
  Ed25519Signer,
  SIGNATURE_TYPE_ECDSA,
  signCheckpoint,
  verifierKeyOf,
} from '#shared/domain/audit/checkpoint.ts';
import type { AuditCrypto } from '#shared/domain/audit/crypto.ts';
import { type AuditEntry, auditDraft } from '#shared/domain/audit/entry.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import { bundleOptions, PROJECT_ROOT } from '#web/build.ts';
import type { PageVerifyOptions, PageVerifyResult } from '#web/dpo/verify-log.ts';

/**
 * The page's verifier as the browser gets it: bundled by esbuild with the page's
 * settings (web/build.ts, platform `browser`, so `#audit-crypto` is WebCrypto), then
 * run here in Node 22 on its WebCrypto, against the server's verifier on node:crypto.
 */
interface BundledVerifier {
  verifyTheLog(entries: readonly object[], options: PageVerifyOptions): Promise<PageVerifyResult>;
  canonicalize(value: unknown): string;
  entryCanonicalText(entry: object): string;
  ENTRY_HASH_INPUT_PREFIX: string;
  auditCrypto: AuditCrypto;
}

const BUNDLE_ENTRY = `
export { verifyTheLog } from './web/dpo/verify-log.ts';
export { canonicalize } from './shared/domain/audit/canonical.ts';
export { entryCanonicalText, ENTRY_HASH_INPUT_PREFIX } from './shared/domain/audit/entry-text.ts';
export { auditCrypto } from '#audit-crypto';
`;

let web: BundledVerifier;
let bundleText = '';
let dir = '';

beforeAll(async () => {
  const result = await build({
    ...bundleOptions,
    stdin: {
      contents: BUNDLE_ENTRY,
      resolveDir: PROJECT_ROOT,
      loader: 'ts',
      sourcefile: 'verifier-under-test.ts',
    },
    write: false,
  });
  bundleText = result.outputFiles[0]!.text;
  dir = mkdtempSync(join(tmpdir(), 'rex-web-verifier-'));
  const file = join(dir, 'verifier.mjs');
  writeFileSync(file, bundleText);
  web = (await import(pathToFileURL(file).href)) as BundledVerifier;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const webEntryHash = (entry: object) =>
  web.auditCrypto.sha256Hex(web.ENTRY_HASH_INPUT_PREFIX + web.entryCanonicalText(entry));

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;
const EVENTS = ['consent.recorded', 'referral.accepted', 'referral.received', 'export.made'] as const;

function randomLog(n: number): AuditEntry[] {
  const drafts = Array.from({ length: n }, (_, i) =>
    auditDraft({
      event: pick(EVENTS),
      actor: pick(['authority:abh-lk-karlsruhe', 'service:mbe-caritas-bruchsal', 'dpo:lk-karlsruhe']),
      subjectId: pick([null, `sub_${'k'.repeat(20)}${i % 3}`]),
      serviceOfficeId: pick([null, 'mbe-caritas-bruchsal']),
      dataCategories: pick([[], ['identity'], ['contact', 'identity', 'needs']]),
      consentId: pick([undefined, `consent-${i % 4}`]),
      purpose: pick([null, 'migration-counselling']),
      time: new Date(Date.UTC(2026, 10, 2, 8, 0, i)),
    }),
  );
  return sequenceDrafts(null, drafts).entries;
}

/** Re-hashes entries from `from` (0-based) on, as a tamperer who knows the hash function would. */
function rechain(entries: AuditEntry[], from: number): AuditEntry[] {
  const out = entries.map((e) => ({ ...e }));
  for (let i = from; i < out.length; i++) {
    const { hash: _h, ...rest } = out[i]!;
    const previousHash = i === 0 ? rest.previousHash : out[i - 1]!.hash;
    const unhashed = { ...rest, previousHash };
    out[i] = { ...unhashed, hash: entryHash(unhashed) };
  }
  return out;
}

/** A signed checkpoint of the first `size` entries of a log. */
async function checkpointNote(
  entries: AuditEntry[],
  size: number,
  signer: CheckpointSigner,
): Promise<string> {
  const { head } = sequenceDrafts(
    null,
    entries.slice(0, size).map(({ sequence: _s, previousHash: _p, hash: _h, ...draft }) => draft),
  );
  return signCheckpoint(checkpointOfHead(signer.keyName, head, new Date('2026-11-02T12:00:00Z')), signer);
}

function ecdsaSigner(keyName: string): CheckpointSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    keyName,
    signatureType: SIGNATURE_TYPE_ECDSA,
    publicKeyRaw: async () => publicKey.export({ format: 'der', type: 'spki' }),
    sign: async (message) => sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }),
  };
}

type Tamper = (entries: AuditEntry[]) => AuditEntry[];
const TAMPERINGS: Record<string, Tamper> = {
  none: (e) => e,
  'modify a field': (e) => {
    const i = randomInt(e.length);
    return e.map((x, j) =>
      j === i ? { ...x, event: x.event === 'export.made' ? 'keys.retired' : 'export.made' } : x,
    );
  },
  'modify and rehash one': (e) => {
    const i = randomInt(e.length);
    const changed = e.map((x, j) => (j === i ? { ...x, purpose: 'other-purpose' } : x));
    const { hash: _h, ...rest } = changed[i]!;
    changed[i] = { ...rest, hash: entryHash(rest) };
    return changed;
  },
  'modify and rechain the rest': (e) => {
    const i = randomInt(e.length);
    return rechain(
      e.map((x, j) => (j === i ? { ...x, serviceOfficeId: 'jmd-ib-karlsruhe' } : x)),
      i,
    );
  },
  'delete one': (e) => {
    const i = randomInt(e.length);
    return e.filter((_, j) => j !== i);
  },
  'delete two': (e) => {
    const i = randomInt(e.length - 1);
    return e.filter((_, j) => j !== i && j !== i + 1);
  },
  'swap adjacent': (e) => {
    const i = randomInt(e.length - 1);
    const out = [...e];
    [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
    return out;
  },
  'duplicate one': (e) => {
    const i = randomInt(e.length);
    return [...e.slice(0, i + 1), e[i]!, ...e.slice(i + 1)];
  },
  truncate: (e) => e.slice(0, randomInt(e.length)),
};

const outcome = (r: { ok: boolean; problem?: { kind: string; sequence: number } }) =>
  r.ok ? 'ok' : `${r.problem!.kind}@${r.problem!.sequence}`;

describe('the page verifies the log as the reference verifier does', () => {
  it('is the shared verifier on WebCrypto, without node:crypto', async () => {
    expect(bundleText).not.toMatch(/node:|require\(/);
    // The WebCrypto port answers signature questions with promises; node:crypto's would not.
    expect(web.auditCrypto.importPublicKey(0x01, new Uint8Array(32))).toBeInstanceOf(Promise);
  });

  it('canonicalises random JSON values to the same text', async () => {
    const strings = ['', 'a', 'ü', '€', '😀', '\u0000', '\n\t"\\', '\u2028', 'z', 'A', 'é'];
    const value = (depth: number): unknown => {
      const k = randomInt(depth > 2 ? 4 : 6);
      if (k === 0) return pick([null, true, false]);
      if (k === 1) return pick([0, -0, 1, -1.5, 1e21, 1e-7, 123456789.125, 2 ** 53]);
      if (k === 2 || k === 3) return pick(strings) + pick(strings);
      if (k === 4) return Array.from({ length: randomInt(4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: randomInt(5) }, () => [pick(strings) + pick(strings), value(depth + 1)]),
      );
    };
    for (let i = 0; i < 500; i++) {
      const v = value(0);
      expect(web.canonicalize(v)).toBe(canonicalize(v));
    }
  });

  it('computes the same entry hashes', async () => {
    for (const entry of randomLog(40)) expect(webEntryHash(entry)).toBe(entry.hash);
  });

  it.each(Object.keys(TAMPERINGS))(
    'gives the same verdict after: %s (random logs, both key types)',
    async (name) => {
      for (let round = 0; round < 12; round++) {
        const log = randomLog(randomInt(3, 40));
        const signer =
          round % 3 === 0 ? ecdsaSigner('rex.test/audit') : Ed25519Signer.generate('rex.test/audit');
        const key = await verifierKeyOf(signer);
        const sizes = [...new Set([randomInt(1, log.length + 1), log.length])];
        const notes = await Promise.all(sizes.map((s) => checkpointNote(log, s, signer)));
        const tampered = TAMPERINGS[name]!(log);
        const reference = await verifyLog(tampered, { checkpoints: notes, verifierKey: key });
        const ours = await web.verifyTheLog(tampered, { checkpoints: notes, verifierKeys: [key] });
        expect(outcome(ours), `${name}, round ${round}`).toBe(outcome(reference));
        if (reference.ok && ours.ok) {
          expect(ours).toMatchObject({
            entries: reference.entries,
            lastSequence: reference.lastSequence,
            rootHash: reference.rootHash,
            signedTreeSize: reference.signedTreeSize,
            checkpointsMatched: reference.checkpointsMatched,
            keyNames: ['rex.test/audit'],
          });
        }
        if (name === 'none') expect(ours.ok).toBe(true);
        else if (name !== 'truncate') expect(ours.ok).toBe(false);
      }
    },
  );

  it('refuses a checkpoint signed by another key, and one whose signature was altered', async () => {
    const log = randomLog(5);
    const signer = Ed25519Signer.generate('rex.test/audit');
    const other = Ed25519Signer.generate('rex.test/audit');
    const note = await checkpointNote(log, 5, signer);
    const foreign = await web.verifyTheLog(log, {
      checkpoints: [note],
      verifierKeys: [await verifierKeyOf(other)],
    });
    expect(outcome(foreign)).toBe('bad-signature@5');
    const altered = note.replace(/\n5\n/, '\n4\n');
    const bad = await web.verifyTheLog(log, {
      checkpoints: [altered],
      verifierKeys: [await verifierKeyOf(signer)],
    });
    expect(outcome(bad)).toBe('bad-signature@4');
  });

  it('verifies from an anchor after retention, as the reference does', async () => {
    const log = randomLog(20);
    const signer = Ed25519Signer.generate('rex.test/audit');
    const key = await verifierKeyOf(signer);
    const drafts = log.map(({ sequence: _s, previousHash: _p, hash: _h, ...d }) => d);
    const { head } = sequenceDrafts(null, drafts.slice(0, 8));
    expect(headRoot(head).length).toBe(32);
    const notes = [await checkpointNote(log, 8, signer), await checkpointNote(log, 20, signer)];
    const anchor = { sequence: 8, hash: head.hash, merkleFrontier: head.frontier };
    const rest = log.slice(8);
    const reference = await verifyLog(rest, { checkpoints: notes, verifierKey: key, anchor });
    const ours = await web.verifyTheLog(rest, { checkpoints: notes, verifierKeys: [key], anchor });
    expect(reference.ok).toBe(true);
    expect(ours).toMatchObject({
      ok: true,
      entries: 12,
      lastSequence: 20,
      rootHash: reference.ok ? reference.rootHash : '',
    });
    const wrong = await web.verifyTheLog(rest, {
      checkpoints: notes,
      verifierKeys: [key],
      anchor: { ...anchor, hash: log[6]!.hash },
    });
    expect(outcome(wrong)).toBe('checkpoint-mismatch@8');
  });
});
