/**
 * The shape of an audit entry (docs/audit-format.md §1), checked by hand: the
 * verifier runs in the browser too (the DPO page), which should not carry zod, and
 * it checks hundreds of thousands of entries a second. This is the verifier's one
 * implementation of §1, used by Node and browser alike; a unit test holds it equal
 * to AuditEntrySchema (entry.ts), the schema the platform writes entries with.
 */
import { AUDIT_EVENTS } from './events.ts';

/** Member patterns of §1, also used by the canonical-line expression of fast-verify.ts. */
export const ENTRY_PATTERNS = {
  directoryId: '[a-z0-9][a-z0-9-]{0,62}',
  recordId: '[A-Za-z0-9][A-Za-z0-9._:-]{0,127}',
  code: '[a-z][a-z0-9._-]{0,62}',
  pseudonym: '[A-Za-z0-9_:.-]{16,128}',
  actor: '(?:operator|(?:authority|service|dpo|system):[a-z0-9][a-z0-9-]{0,62})',
  time: '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z',
  hash: '[0-9a-f]{64}',
  /** A signed-in person's pseudonymous id (docs/sign-in.md). */
  personId: 'psn_[0-9a-f]{64}',
} as const;

/** The only legal basis in this format. */
export const ENTRY_ARTICLE = 'GDPR Art. 6(1)(a)';
/** At most this many data categories per entry. */
export const MAX_DATA_CATEGORIES = 64;

const whole = (pattern: string) => new RegExp(`^${pattern}$`);
const DIRECTORY_ID = whole(ENTRY_PATTERNS.directoryId);
const RECORD_ID = whole(ENTRY_PATTERNS.recordId);
const CODE = whole(ENTRY_PATTERNS.code);
const PSEUDONYM = whole(ENTRY_PATTERNS.pseudonym);
const ACTOR = whole(ENTRY_PATTERNS.actor);
const TIME = whole(ENTRY_PATTERNS.time);
const HASH = whole(ENTRY_PATTERNS.hash);
const PERSON_ID = whole(ENTRY_PATTERNS.personId);
const EVENTS: ReadonlySet<string> = new Set(AUDIT_EVENTS);

const MEMBERS = [
  'actor',
  'authorityId',
  'dataCategories',
  'entryId',
  'event',
  'hash',
  'legalBasis',
  'previousHash',
  'purpose',
  'reason',
  'referralId',
  'sequence',
  'serviceOfficeId',
  'subjectId',
  'time',
] as const;
/** Present only in entries a signed-in person caused; absent (not null) otherwise. */
const OPTIONAL_MEMBERS = ['personId'] as const;
const MEMBER_SET: ReadonlySet<string> = new Set([...MEMBERS, ...OPTIONAL_MEMBERS]);

/** Whether `time` is a real instant written exactly as Date#toISOString writes it. */
export function isAuditTime(time: string): boolean {
  return TIME.test(time) && isRealInstant(time);
}

/** For a string of the time pattern: whether it names a real instant (no 30 February, no hour 24). */
export function isRealInstant(time: string): boolean {
  // Digits only from here (the pattern); arithmetic instead of Date, which costs the verifier a third of its speed.
  const n = (at: number, length: number) => {
    let v = 0;
    for (let i = at; i < at + length; i++) v = v * 10 + time.charCodeAt(i) - 48;
    return v;
  };
  const year = n(0, 4);
  const month = n(5, 2);
  const day = n(8, 2);
  if (month < 1 || month > 12 || day < 1 || n(11, 2) > 23 || n(14, 2) > 59 || n(17, 2) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/** Whether the codes are sorted (UTF-16 code units) without repeats. */
export function isSortedUnique(codes: readonly string[]): boolean {
  for (let i = 1; i < codes.length; i++) if (!(codes[i - 1]! < codes[i]!)) return false;
  return true;
}

function nullable(value: unknown, pattern: RegExp): boolean {
  return value === null || (typeof value === 'string' && pattern.test(value));
}

/**
 * Why `value` is not an audit entry of §1, or undefined when it is one. The reason
 * names the member, never its value (the value could be the personal data the
 * check is there to keep out).
 */
export function entryShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const e = value as Record<string, unknown>;
  for (const key in e) if (!MEMBER_SET.has(key)) return 'an unknown member';
  for (const key of MEMBERS) if (!(key in e)) return `the member ${key} is missing`;
  const seq = e.sequence;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    return 'sequence is not a positive whole number';
  if (typeof e.hash !== 'string' || !HASH.test(e.hash)) return 'hash is not 64 lower-case hex digits';
  if (typeof e.previousHash !== 'string' || !HASH.test(e.previousHash))
    return 'previousHash is not 64 lower-case hex digits';
  if (typeof e.time !== 'string' || !isAuditTime(e.time)) return 'time is not a UTC instant in milliseconds';
  if (typeof e.entryId !== 'string' || !RECORD_ID.test(e.entryId)) return 'entryId is not an id';
  if (typeof e.event !== 'string' || !EVENTS.has(e.event)) return 'event is not an event of the format';
  if (typeof e.actor !== 'string' || !ACTOR.test(e.actor)) return 'actor is not a principal';
  if (!nullable(e.subjectId, PSEUDONYM)) return 'subjectId is not a pseudonym';
  if (!nullable(e.authorityId, DIRECTORY_ID)) return 'authorityId is not a directory id';
  if (!nullable(e.serviceOfficeId, DIRECTORY_ID)) return 'serviceOfficeId is not a directory id';
  const categories = e.dataCategories;
  if (!Array.isArray(categories) || categories.length > MAX_DATA_CATEGORIES)
    return 'dataCategories is not a list of at most 64 codes';
  for (const c of categories)
    if (typeof c !== 'string' || !CODE.test(c)) return 'a data category is not a code';
  if (!isSortedUnique(categories as string[])) return 'dataCategories are not sorted and unique';
  const basis = e.legalBasis;
  if (basis !== null) {
    if (typeof basis !== 'object' || Array.isArray(basis)) return 'legalBasis is not an object or null';
    const lb = basis as Record<string, unknown>;
    for (const key in lb)
      if (key !== 'article' && key !== 'consentId') return 'an unknown member in legalBasis';
    if (lb.article !== ENTRY_ARTICLE) return 'legalBasis.article is not the consent article';
    if (typeof lb.consentId !== 'string' || !RECORD_ID.test(lb.consentId))
      return 'legalBasis.consentId is not an id';
  }
  if (!nullable(e.purpose, CODE)) return 'purpose is not a code';
  if (!nullable(e.referralId, RECORD_ID)) return 'referralId is not an id';
  if (!nullable(e.reason, CODE)) return 'reason is not a code';
  if ('personId' in e && (typeof e.personId !== 'string' || !PERSON_ID.test(e.personId)))
    return 'personId is not a person id';
  return undefined;
}

/**
 * Why a JSON text is refused although JSON.parse may accept it: a member name
 * given twice in one object (JSON.parse keeps the last, another reader the first,
 * so the line would mean two things), or a byte order mark. Undefined when fine.
 * Only for text that JSON.parse accepts; linear, without building values.
 */
export function jsonTextProblem(text: string): string | undefined {
  if (text.charCodeAt(0) === 0xfeff) return 'a byte order mark';
  // One set of names per open object; null for an open array.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (expectName && top) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(name)) return 'a member name given twice';
        top.add(name);
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectName = true;
    } else if (c === 0x5b) {
      stack.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      expectName = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}
