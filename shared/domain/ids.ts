import { randomBytes } from 'node:crypto';

/**
 * Time-ordered ids: 26 Crockford base32 characters, 48 bits of milliseconds then 80
 * random bits (ULID's layout), so that ids sort by creation time. Consent ids
 * (`con_…`, upper case) and referral ids (`ref_…`, lower case) are made from it. The
 * dozen lines are written here rather than adding a dependency for them.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function timeOrderedId(now: Date): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[(random[i] ?? 0) % 32];
  return head + tail;
}
