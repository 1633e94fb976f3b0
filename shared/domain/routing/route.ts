import { compareIds, municipalityByAgs, officesCovering } from '#shared/domain/directory/lookup.ts';
import {
  type Directory,
  formatPath,
  type RoutingConditions,
  type RoutingRule,
  type ServiceOffice,
} from '#shared/domain/directory/schema.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { ageOn } from './age.ts';
import {
  type CandidateOutcome,
  type RefusalReason,
  type RefusedDecision,
  type RoutingCandidate,
  type RoutingDecision,
  type RoutingInput,
  RoutingInputSchema,
} from './schema.ts';

/**
 * Chooses the one lead service office for a referral, or refuses with a reason.
 *
 * 1. Rules valid on the referral date are tried in ascending priority.
 * 2. A rule applies when the person matches its conditions AND at least one office
 *    of its service type covers the municipality of residence; otherwise the next
 *    rule is tried (this is how "IM where an IM office operates, else JMD/MBE" is
 *    data, not code).
 * 3. The first applicable rule fixes the service type. The consent scope filters its
 *    candidates; if it allows none, the referral is refused rather than sent to a
 *    service that is not responsible (no double structures).
 * 4. Ties: the provider chosen in the consent, then the person's languages in order
 *    of preference, then fewest open referrals, then office id ascending.
 *
 * Pure and deterministic: the date is input, and the result does not depend on the
 * order of entries in the directory. Throws `InvalidRequest` for malformed input.
 */
export function routeReferral(input: RoutingInput, directory: Directory): RoutingDecision {
  const parsed = RoutingInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidRequest(
      parsed.error.issues.map((issue) => ({ field: formatPath(issue.path), reason: issue.message })),
      'The routing input is not valid.',
    );
  }
  const person = parsed.data;
  const date = person.referralDate;
  const age = ageOn(person.dateOfBirth, date);
  const refuse = (
    reason: RefusalReason,
    message: string,
    extra: { ruleId?: string; candidates?: readonly RoutingCandidate[] } = {},
  ): RefusedDecision => ({
    kind: 'refused',
    reason,
    message,
    ...(extra.ruleId === undefined ? {} : { ruleId: extra.ruleId }),
    candidates: extra.candidates ?? [],
    directoryVersion: directory.version,
  });

  const rules = directory.routingRules
    .filter((rule) => rule.validFrom <= date && (rule.validUntil === undefined || date <= rule.validUntil))
    .sort((a, b) => a.priority - b.priority || compareIds(a.id, b.id));
  if (rules.length === 0) {
    return refuse(
      'no-rule-applies',
      `No routing rule of directory version ${directory.version} is valid on ${date}.`,
    );
  }

  const minimumAge = Math.min(...rules.map((rule) => rule.when.minAge ?? 0));
  if (age < minimumAge) {
    return refuse(
      'under-minimum-age',
      `Person is ${age}, below the minimum age ${minimumAge} of every routing rule valid on ${date}.`,
    );
  }

  const uncovered: RoutingRule[] = [];
  for (const rule of rules) {
    if (!matches(rule.when, person, age)) continue;
    const candidates = officesCovering(directory, person.municipality, rule.serviceType);
    if (candidates.length === 0) {
      uncovered.push(rule);
      continue;
    }
    return choose(rule, candidates, uncovered, person, age, directory, refuse);
  }

  const first = uncovered[0];
  if (first) {
    const known = municipalityByAgs(directory, person.municipality) !== undefined;
    const tried = uncovered.map((rule) => `${rule.id} (${rule.serviceType})`).join(', ');
    return refuse(
      'no-office-covers-municipality',
      known
        ? `Person is ${age}; rules ${tried} match but no office of their service type covers municipality ${person.municipality}.`
        : `Municipality ${person.municipality} is not in directory ${directory.deployment.id} version ${directory.version}; no office covers it.`,
      { ruleId: first.id },
    );
  }
  return refuse(
    'no-rule-applies',
    `Person is ${age}; no routing rule valid on ${date} matches the person's facts.`,
  );
}

function matches(when: RoutingConditions, person: RoutingInput, age: number): boolean {
  if (when.minAge !== undefined && age < when.minAge) return false;
  if (when.maxAgeExclusive !== undefined && age >= when.maxAgeExclusive) return false;
  if (when.housing !== undefined && !when.housing.includes(person.housing)) return false;
  if (when.residenceStatuses !== undefined && !when.residenceStatuses.includes(person.residenceStatus))
    return false;
  return true;
}

function choose(
  rule: RoutingRule,
  candidates: readonly ServiceOffice[],
  uncovered: readonly RoutingRule[],
  person: RoutingInput,
  age: number,
  directory: Directory,
  refuse: (
    reason: RefusalReason,
    message: string,
    extra: { ruleId?: string; candidates?: readonly RoutingCandidate[] },
  ) => RefusedDecision,
): RoutingDecision {
  const outcomes = new Map<string, CandidateOutcome>();
  const type = rule.serviceType;
  const ags = person.municipality;
  const listCandidates = (): RoutingCandidate[] =>
    candidates.map((office) => ({
      officeId: office.id,
      providerId: office.providerId,
      outcome: outcomes.get(office.id) ?? 'chosen',
    }));

  const { serviceTypes, providerIds } = person.consentScope;
  let pool = candidates.filter((office) => {
    const allowed = serviceTypes.includes(office.type) || providerIds.includes(office.providerId);
    if (!allowed) outcomes.set(office.id, 'excluded-by-consent');
    return allowed;
  });
  const excludedByConsent = candidates.length - pool.length;
  if (pool.length === 0) {
    return refuse(
      'consent-excludes-all-candidates',
      `Rule ${rule.id} applies (${type}); the consent scope allows none of the ${plural(candidates.length, `${type} office`)} covering municipality ${ags}: ${candidates.map((o) => o.id).join(', ')}.`,
      { ruleId: rule.id, candidates: listCandidates() },
    );
  }

  const steps: string[] = [];
  const narrow = (keep: (office: ServiceOffice) => boolean, outcome: CandidateOutcome): boolean => {
    const kept = pool.filter(keep);
    if (kept.length === 0 || kept.length === pool.length) return false;
    for (const office of pool) if (!kept.includes(office)) outcomes.set(office.id, outcome);
    pool = kept;
    return true;
  };

  const preferred = person.preferredProviderId;
  if (preferred !== undefined) {
    if (pool.some((office) => office.providerId === preferred)) {
      narrow((office) => office.providerId === preferred, 'other-provider-preferred');
      steps.push('provider chosen in consent');
    } else {
      steps.push('the provider chosen in consent has no allowed office here');
    }
  }

  let narrowedByLanguage = false;
  for (const language of person.languages) {
    if (narrow((office) => office.languages.includes(language), 'fewer-preferred-languages')) {
      narrowedByLanguage = true;
    }
  }
  if (narrowedByLanguage) steps.push("speaks the person's preferred language");

  const counts = person.openReferralCounts ?? {};
  const openReferrals = (office: ServiceOffice) =>
    Object.hasOwn(counts, office.id) ? (counts[office.id] ?? 0) : 0;
  const fewest = Math.min(...pool.map(openReferrals));
  if (narrow((office) => openReferrals(office) === fewest, 'more-open-referrals')) {
    steps.push(`fewest open referrals (${fewest})`);
  }

  // Candidates are already in office id order.
  const [office, ...rest] = pool;
  for (const later of rest) outcomes.set(later.id, 'later-in-stable-order');
  if (rest.length > 0) steps.push('first by office id among equals');
  if (!office) throw new Error('unreachable: the pool is never empty');

  const covered = `municipality ${ags} is covered by ${plural(candidates.length, `${type} office`)}`;
  const consentNote = excludedByConsent > 0 ? `, ${excludedByConsent} excluded by consent` : '';
  const skipped = uncovered.map(
    (r) => `rule ${r.id} (${r.serviceType}) matches but no ${r.serviceType} office covers the municipality; `,
  );
  const why = pool.length === 1 && steps.length === 0 ? ['the only candidate'] : steps;
  const reason =
    `Person is ${age} (${describeConditions(rule.when)}): ${type} by rule ${rule.id}; ` +
    `${skipped.join('')}${covered}${consentNote}; ${office.id} chosen: ${why.join('; ')}.`;

  return {
    kind: 'routed',
    office,
    serviceType: type,
    ruleId: rule.id,
    reason,
    candidates: listCandidates(),
    directoryVersion: directory.version,
  };
}

/** "12–26, housing anschlussunterbringung": the rule's conditions, not the person's data. */
function describeConditions(when: RoutingConditions): string {
  const parts: string[] = [];
  if (when.minAge !== undefined && when.maxAgeExclusive !== undefined) {
    parts.push(`${when.minAge}–${when.maxAgeExclusive - 1}`);
  } else if (when.minAge !== undefined) {
    parts.push(`${when.minAge}+`);
  } else if (when.maxAgeExclusive !== undefined) {
    parts.push(`under ${when.maxAgeExclusive}`);
  } else {
    parts.push('any age');
  }
  if (when.housing) parts.push(`housing ${when.housing.join('/')}`);
  if (when.residenceStatuses) parts.push('residence status named by the rule');
  return parts.join(', ');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
