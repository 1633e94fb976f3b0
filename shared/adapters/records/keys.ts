/**
 * Item keys of the records table (single-table design; docs/data-model.md). One
 * function per item kind, so that every reader and writer agrees on them.
 */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const recordKeys = {
  consent: (consentId: string): ItemKey => ({ pk: `CONSENT#${consentId}`, sk: 'CONSENT' }),
  referral: (referralId: string): ItemKey => ({ pk: `REFERRAL#${referralId}`, sk: 'REFERRAL' }),
  /** An outbox item: written with a state change, consumed by the relay from the stream. */
  outbox: (referralId: string, event: string): ItemKey => ({ pk: `OUTBOX#${referralId}`, sk: event }),
  /** A creating request's outcome, scoped to the calling principal. */
  idempotency: (principal: string, key: string): ItemKey => ({
    pk: `IDEMPOTENCY#${principal}#${key}`,
    sk: 'IDEMPOTENCY',
  }),
  /** The one open referral of a subject: its existence guards against double structures. */
  openReferral: (subjectId: string): ItemKey => ({ pk: `SUBJECT#${subjectId}`, sk: 'OPEN_REFERRAL' }),
  /** A service office's published keys and counters. */
  officeState: (officeId: string): ItemKey => ({ pk: `OFFICE#${officeId}`, sk: 'STATE' }),
} as const;

/**
 * Index keys (gsi1 = by subject, gsi3 = by deadline; the feed indexes are partitioned by
 * the referral's own `authorityId` / `serviceOfficeId` and sorted by `changedKey`).
 */
export const indexKeys = {
  subject: (subjectId: string, sortKey: string) => ({ gsi1pk: `SUBJECT#${subjectId}`, gsi1sk: sortKey }),
  due: (bucket: string, sortKey: string) => ({ gsi3pk: `DUE#${bucket}`, gsi3sk: sortKey }),
  feed: (updatedAt: string, referralId: string) => ({ changedKey: `${updatedAt}#${referralId}` }),
  /**
   * Every office state item in gsi1 under one partition, so that the retention job finds
   * the states of offices that left the directory with a Query (never a Scan). Its sort
   * key says whether the job marked it to expire (`EXPIRING#…`); every other writer of
   * the item puts it back to the plain one and removes the expiry.
   */
  officeState: (officeId: string, expiring = false) => ({
    gsi1pk: OFFICE_STATES,
    gsi1sk: `${expiring ? 'EXPIRING#' : ''}OFFICE#${officeId}`,
  }),
} as const;

/** The gsi1 partition of the office state items. */
export const OFFICE_STATES = 'OFFICE_STATES';
