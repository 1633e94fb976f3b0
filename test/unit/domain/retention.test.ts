import { describe, expect, it } from 'vitest';
import {
  auditEpochExpiry,
  auditExpiry,
  endOfYearAfter,
  isExpired,
  retentionFromEnvironment,
} from '#shared/domain/retention.ts';

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
