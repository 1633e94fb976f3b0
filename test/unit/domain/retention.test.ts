import { describe, expect, it } from 'vitest';
import {
  auditEpochExpiry,
  auditExpiry,
  consentExpiry,
  defaultRetention,
  endOfYearAfter,
  idempotencyExpiry,
  isExpired,
  officeStateExpiry,
  outboxExpiry,
  RetentionSettingsSchema,
  referralExpiry,
  retentionFromEnvironment,
  retentionOf,
} from '#shared/domain/retention.ts';
import { functionEnvironment } from '#shared/function-environment.ts';

describe('retention', () => {
  it('keeps audit entries until the end of the following year by default', () => {
    expect(new Date(endOfYearAfter(new Date('2026-03-15T10:00:00Z'), 1) * 1000).toISOString()).toBe(
      '2027-12-31T23:59:59.000Z',
    );
    expect(
      new Date(
        auditExpiry(new Date('2026-12-31T23:59:59Z'), retentionFromEnvironment({})) * 1000,
      ).toISOString(),
    ).toBe('2027-12-31T23:59:59.000Z');
  });

  it('takes the years from REX_AUDIT_RETENTION_YEARS and refuses nonsense', () => {
    const policy = retentionFromEnvironment({ REX_AUDIT_RETENTION_YEARS: '3' });
    expect(new Date(auditExpiry(new Date('2026-06-01T00:00:00Z'), policy) * 1000).toISOString()).toBe(
      '2029-12-31T23:59:59.000Z',
    );
    for (const bad of ['0', '31', '1.5', 'two']) {
      expect(() => retentionFromEnvironment({ REX_AUDIT_RETENTION_YEARS: bad })).toThrow(
        /REX_AUDIT_RETENTION_YEARS/,
      );
    }
  });

  it('treats an item as gone from its expiry on, though TTL deletes it later', () => {
    const at = Math.floor(Date.parse('2027-01-01T00:00:00Z') / 1000);
    expect(isExpired(at, new Date('2026-12-31T23:59:59Z'))).toBe(false);
    expect(isExpired(at, new Date('2027-01-01T00:00:00Z'))).toBe(true);
    expect(isExpired(undefined, new Date())).toBe(false);
  });
});

describe('the expiry of a retention epoch', () => {
  const oneYear = retentionFromEnvironment({});
  const iso = (s: number) => new Date(s * 1000).toISOString();

  it('is the end of the year after the epoch, like an entry of that year', () => {
    expect(iso(auditEpochExpiry(2026, oneYear))).toBe('2027-12-31T23:59:59.000Z');
    expect(auditEpochExpiry(2026, oneYear)).toBe(auditExpiry(new Date('2026-07-01T00:00:00Z'), oneYear));
  });

  it('never comes before the expiry of the epoch before it, whatever retention is configured later', () => {
    const threeYears = retentionFromEnvironment({ REX_AUDIT_RETENTION_YEARS: '3' });
    const earlier = auditEpochExpiry(2026, threeYears);
    expect(iso(auditEpochExpiry(2027, oneYear, earlier))).toBe('2029-12-31T23:59:59.000Z');
    expect(iso(auditEpochExpiry(2027, threeYears, auditEpochExpiry(2026, oneYear)))).toBe(
      '2030-12-31T23:59:59.000Z',
    );
  });
});

describe('the retention of every kind of item', () => {
  const iso = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000).toISOString());

  it('takes the defaults from one place and each setting of deployment.retention over them', () => {
    expect(retentionOf({})).toEqual(defaultRetention);
    expect(defaultRetention).toEqual({
      auditYearsAfter: 1,
      idempotencyHours: 24,
      referralDaysAfterEnd: 90,
      outboxDays: 30,
      officeStateDaysAfterRemoval: 30,
    });
    expect(retentionOf({ auditRetentionYears: 4 }).auditYearsAfter).toBe(4);
    expect(retentionOf({ auditRetentionYears: 4, retention: { auditYears: 4, outboxDays: 3 } })).toEqual({
      ...defaultRetention,
      auditYearsAfter: 4,
      outboxDays: 3,
    });
    expect(retentionOf({ retention: { auditYears: 2 } }).auditYearsAfter).toBe(2);
  });

  it('reaches the functions as REX_RETENTION, the same settings as the directory gave', () => {
    const retention = { auditYears: 3, referralDaysAfterEnd: 30 };
    const env = functionEnvironment({
      stage: 's',
      accountId: '1',
      recordsTable: 'r',
      auditTable: 'a',
      directoryFile: 'd',
      queueUrlTemplate: 'q',
      retention,
    });
    expect(retentionFromEnvironment(env)).toEqual(retentionOf({ retention }));
    expect(
      functionEnvironment({
        stage: 's',
        accountId: '1',
        recordsTable: 'r',
        auditTable: 'a',
        directoryFile: 'd',
        queueUrlTemplate: 'q',
      }).REX_RETENTION,
    ).toBeUndefined();
  });

  it('reads deployment.retention from REX_RETENTION and refuses what the directory would refuse', () => {
    const policy = retentionFromEnvironment({
      REX_AUDIT_RETENTION_YEARS: '2',
      REX_RETENTION: JSON.stringify({ referralDaysAfterEnd: 10, idempotencyHours: 1 }),
    });
    expect(policy).toEqual({
      ...defaultRetention,
      auditYearsAfter: 2,
      referralDaysAfterEnd: 10,
      idempotencyHours: 1,
    });
    for (const bad of ['{', '{"outboxDays":0}', '{"unknown":1}', '[]']) {
      expect(() => retentionFromEnvironment({ REX_RETENTION: bad })).toThrow(/REX_RETENTION/);
    }
    expect(RetentionSettingsSchema.safeParse({ idempotencyHours: 0.5 }).success).toBe(false);
  });

  it('keeps a consent in force without expiry, and its evidence after its end as long as the log entries', () => {
    expect(consentExpiry({}, defaultRetention)).toBeUndefined();
    expect(iso(consentExpiry({ validUntil: '2027-03-31T21:59:59Z' }, defaultRetention))).toBe(
      '2028-12-31T23:59:59.000Z',
    );
    // Withdrawn before its validity ran out: the withdrawal is its end.
    expect(
      iso(
        consentExpiry(
          { validUntil: '2029-03-31T21:59:59Z', withdrawnAt: '2026-05-02T08:00:00Z' },
          defaultRetention,
        ),
      ),
    ).toBe('2027-12-31T23:59:59.000Z');
    // Ended in the last hours of a year: a transfer just before may be sequenced into next year's epoch.
    expect(iso(consentExpiry({ withdrawnAt: '2026-12-31T20:00:00Z' }, defaultRetention))).toBe(
      '2028-12-31T23:59:59.000Z',
    );
    const three = { ...defaultRetention, auditYearsAfter: 3 };
    expect(iso(consentExpiry({ withdrawnAt: '2026-05-02T08:00:00Z' }, three))).toBe(
      '2029-12-31T23:59:59.000Z',
    );
    // Never before the log entries of a transfer it justified.
    const transfer = new Date('2026-05-02T07:59:00Z');
    expect(consentExpiry({ withdrawnAt: '2026-05-02T08:00:00Z' }, three)).toBeGreaterThanOrEqual(
      auditEpochExpiry(transfer.getUTCFullYear(), three),
    );
  });

  it('lets a referral expire only once it ended and nothing is due, N days after that change', () => {
    const closed = { open: false, erasurePending: false, updatedAt: '2026-05-10T12:00:00Z' };
    expect(iso(referralExpiry(closed, false, defaultRetention))).toBe('2026-08-08T12:00:00.000Z');
    expect(iso(referralExpiry(closed, false, { ...defaultRetention, referralDaysAfterEnd: 1 }))).toBe(
      '2026-05-11T12:00:00.000Z',
    );
    expect(referralExpiry({ ...closed, open: true }, false, defaultRetention)).toBeUndefined();
    expect(referralExpiry(closed, true, defaultRetention)).toBeUndefined();
    expect(referralExpiry({ ...closed, erasurePending: true }, false, defaultRetention)).toBeUndefined();
  });

  it('expires outbox items, idempotency records and the state of a removed office after their periods', () => {
    expect(iso(outboxExpiry('2026-05-10T12:00:00.000Z', defaultRetention))).toBe('2026-06-09T12:00:00.000Z');
    expect(iso(idempotencyExpiry(new Date('2026-05-10T12:00:00Z'), defaultRetention))).toBe(
      '2026-05-11T12:00:00.000Z',
    );
    expect(
      iso(idempotencyExpiry(new Date('2026-05-10T12:00:00Z'), { ...defaultRetention, idempotencyHours: 2 })),
    ).toBe('2026-05-10T14:00:00.000Z');
    expect(iso(officeStateExpiry(new Date('2026-05-10T12:00:00Z'), defaultRetention))).toBe(
      '2026-06-09T12:00:00.000Z',
    );
  });
});
