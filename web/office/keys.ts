/**
 * The office's private keys in this browser. A key is generated here (WebCrypto through
 * jose: RSA-OAEP-256 with 3072 bits, as `rex keys generate`), written into a
 * password-protected backup file (shared/domain/crypto/key-backup.ts, the format
 * `rex keys import` reads), and only then imported **non-extractable** into IndexedDB as
 * a CryptoKey: from then on no script, this page's included, can read the private key
 * out again. Nothing of it is ever sent: only the public JWK is published.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { RecipientKeyAlgorithm } from '#shared/domain/crypto/jwks.ts';
import { createKeyBackup, openKeyBackup, publicHalf } from '#shared/domain/crypto/key-backup.ts';
import type { PublicJwk } from './api.ts';

const DB_NAME = 'referral-exchange-office';
const STORE = 'keys';

/** A private key held in this browser. */
export interface StoredKey {
  /** `<officeId> <kid>`. */
  readonly id: string;
  readonly officeId: string;
  readonly kid: string;
  readonly alg: RecipientKeyAlgorithm;
  readonly publicJwk: PublicJwk;
  /** Non-extractable: usable to decrypt, never readable. */
  readonly privateKey: CryptoKey;
  readonly storedAt: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'id' });
      store.createIndex('officeId', 'officeId');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(
  mode: IDBTransactionMode,
  act: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The office's keys in this browser. */
export async function storedKeys(officeId: string): Promise<StoredKey[]> {
  const all = await withStore('readonly', (s) => s.index('officeId').getAll(officeId));
  return (all as StoredKey[]).sort((a, b) => a.storedAt.localeCompare(b.storedAt));
}

export async function deleteStoredKey(officeId: string, kid: string): Promise<void> {
  await withStore('readwrite', (s) => s.delete(`${officeId} ${kid}`));
}

/** Imports a private JWK non-extractable and keeps it in IndexedDB. */
async function keep(
  officeId: string,
  privateJwk: JWK & { kid: string; alg: RecipientKeyAlgorithm },
): Promise<StoredKey> {
  const privateKey = (await importJWK(privateJwk, privateJwk.alg, { extractable: false })) as CryptoKey;
  const stored: StoredKey = {
    id: `${officeId} ${privateJwk.kid}`,
    officeId,
    kid: privateJwk.kid,
    alg: privateJwk.alg,
    publicJwk: publicHalf(privateJwk) as PublicJwk,
    privateKey,
    storedAt: new Date().toISOString(),
  };
  await withStore('readwrite', (s) => s.put(stored));
  return stored;
}

/**
 * A key pair generated but not yet kept or published: its backup file must be saved
 * first. `commit` imports it non-extractable into IndexedDB and forgets the JWK.
 */
export interface PendingKey {
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  /** The backup file's text and a name to save it under. */
  readonly backup: { readonly text: string; readonly fileName: string };
  commit(): Promise<StoredKey>;
  discard(): void;
}

/** Generates a key pair in the browser and its backup file, protected by `password`. */
export async function generatePendingKey(officeId: string, password: string, now: Date): Promise<PendingKey> {
  const alg: RecipientKeyAlgorithm = 'RSA-OAEP-256';
  const { privateKey } = await generateKeyPair(alg, { modulusLength: 3072, extractable: true });
  const exported = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicHalf({ ...exported, alg }));
  let privateJwk: (JWK & { kid: string; alg: RecipientKeyAlgorithm }) | undefined = {
    ...exported,
    kid,
    use: 'enc',
    alg,
  };
  const text = await createKeyBackup({ officeId, privateJwk, password, createdAt: now });
  const day = now.toISOString().slice(0, 10);
  return {
    kid,
    publicJwk: publicHalf(privateJwk) as PublicJwk,
    backup: { text, fileName: `schluessel-${officeId}-${day}-${kid.slice(0, 8)}.rex-key.json` },
    async commit() {
      if (!privateJwk) throw new Error('the key was discarded');
      const stored = await keep(officeId, privateJwk);
      privateJwk = undefined;
      return stored;
    },
    discard() {
      privateJwk = undefined;
    },
  };
}

/** Opens a backup file with its password and keeps its key in this browser. */
export async function importBackup(officeId: string, text: string, password: string): Promise<StoredKey> {
  const opened = await openKeyBackup(text, password);
  if (opened.officeId !== officeId) throw new WrongOffice(opened.officeId);
  return keep(officeId, opened.privateJwk);
}

export class WrongOffice extends Error {
  constructor(readonly officeId: string) {
    super('The backup is a key of another office.');
    this.name = 'WrongOffice';
  }
}
