import * as z from 'zod';
import { formatFieldPath } from '#shared/domain/field-path.ts';
import { RetentionSettingsSchema } from '#shared/domain/retention.ts';
import { HousingSchema, ResidenceStatusSchema } from '#shared/domain/routing/person-facts.ts';
import { ISO_639_1_CODES } from './languages.ts';

/**
 * The deployment directory: who takes part (authorities, providers, service offices,
 * data-protection officers), which municipalities they cover, and the ordered
 * routing rules. One JSON file per deployment, versioned in the repository;
 * docs/directory.md describes every field.
 *
 * The structural schema checks each value on its own; `DirectorySchema` then checks
 * the references and uniqueness across the whole file. That second pass runs even
 * when the first found problems, so an operator sees every problem in one go.
 */

// ---------------------------------------------------------------------------
// Building blocks

/** Ids become AWS resource names (queues, roles), hence lowercase and short. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,47}$/;
export const SlugSchema = z
  .string()
  .regex(
    SLUG_PATTERN,
    'must be a lowercase slug: a–z, 0–9 and "-", 2 to 48 characters, not starting with "-"',
  );

/**
 * Amtlicher Gemeindeschlüssel (AGS): 8 digits — Land (2), Regierungsbezirk (1),
 * Kreis (2), Gemeinde (3). The Land part is 01–16.
 */
export const AGS_PATTERN = /^(0[1-9]|1[0-6])\d{6}$/;
export const AgsSchema = z
  .string()
  .regex(AGS_PATTERN, 'must be an official municipality key (AGS): 8 digits starting with a Land code 01–16');

const LANGUAGE_CODE_MESSAGE = 'must be a lowercase ISO 639-1 language code';
/** The pattern states the shape in the OpenAPI document; the list decides which codes exist. */
export const LanguageCodeSchema = z
  .string()
  .regex(/^[a-z]{2}$/, LANGUAGE_CODE_MESSAGE)
  // Only well-formed codes are looked up, so a malformed one yields one issue, not two.
  .refine((code) => !/^[a-z]{2}$/.test(code) || ISO_639_1_CODES.has(code), LANGUAGE_CODE_MESSAGE)
  .meta({
    id: 'LanguageCode',
    description: 'A language, ISO 639-1 (two lower-case letters), e.g. de, ar, uk.',
    enum: [...ISO_639_1_CODES].sort(),
  });

/** A calendar date, YYYY-MM-DD; impossible dates such as 2023-02-29 are refused. */
export const IsoDateSchema = z.iso.date('must be a calendar date YYYY-MM-DD');

/** Service type codes: "MBE", "JMD", "IM", or a deployment's own (see `serviceTypes`). */
export const ServiceTypeCodeSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9]{1,15}$/, 'must be an uppercase service type code such as "MBE"');

/** The service types every deployment has; a directory may add more in `serviceTypes`. */
export const BUILT_IN_SERVICE_TYPES = [
  { code: 'MBE', name: 'Migrationsberatung für erwachsene Zuwanderer' },
  { code: 'JMD', name: 'Jugendmigrationsdienst' },
  { code: 'IM', name: 'Integrationsmanagement' },
] as const;

/** IAM role or user ARNs (an operator maps AWS principals to directory entries). */
export const IamPrincipalSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or :user/<name>)',
  );

const NameSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const PrincipalsSchema = z.array(IamPrincipalSchema).optional();

/** What a person may do in their organisation unit; each unit kind admits one role. */
export const PERSON_ROLES = {
  authority: 'clerk',
  serviceOffice: 'counsellor',
  dataProtectionOfficer: 'dpo',
} as const;
export type PersonRole = (typeof PERSON_ROLES)[keyof typeof PERSON_ROLES];

/**
 * A person who signs in (docs/sign-in.md): named by the identity provider's subject
 * or by a verified e-mail address, never by their name. Exactly one of the two.
 */
const personSchema = <R extends PersonRole>(role: R) =>
  z
    .strictObject({
      /** The `sub` claim of the person's ID token (stable across e-mail changes). */
      subject: z
        .string()
        .regex(/^[\x21-\x7e]{1,255}$/, "must be the identity provider's subject")
        .optional(),
      /** A verified e-mail address (`email` with `email_verified`), compared without case. */
      email: z.email('must be an e-mail address').optional(),
      role: z.literal(role, `must be "${role}" in this kind of entry`),
    })
    .refine(
      (p) => (p.subject === undefined) !== (p.email === undefined),
      'must name exactly one of subject or email',
    );
export type Person = { readonly subject?: string; readonly email?: string; readonly role: PersonRole };
const peopleSchema = <R extends PersonRole>(role: R) => z.array(personSchema(role)).optional();

/**
 * An organisation unit's own identity provider (an authority's ADFS, a welfare
 * organisation's Entra ID), federated into the deployment's user pool
 * (docs/sign-in.md). The unit's people then sign in there, not with an account of the
 * pool. The name is the provider's name in the user pool; units that share one
 * provider (two offices of one organisation) give the same definition.
 */
const IdentityProviderNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/,
    'must be 2 to 32 letters, digits and "-", starting with a letter or digit',
  )
  .refine((name) => name.toLowerCase() !== 'cognito', 'is reserved by Amazon Cognito');
const HttpsUrlSchema = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

export const OidcIdentityProviderSchema = z.strictObject({
  type: z.literal('oidc'),
  name: IdentityProviderNameSchema,
  /** The provider's issuer; its OpenID discovery document lies below it. */
  issuer: HttpsUrlSchema,
  /** The client id the organisation registered for this exchange. */
  clientId: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be the client id (visible ASCII)'),
  /**
   * Name of the Secrets Manager secret that holds the client secret (its whole
   * SecretString). The secret itself never belongs in this file.
   */
  clientSecretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name'),
  /** @default ["openid", "email"] */
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'must be an OAuth scope'))
    .min(1)
    .optional(),
});

export const SamlIdentityProviderSchema = z.strictObject({
  type: z.literal('saml'),
  name: IdentityProviderNameSchema,
  /** Where the provider publishes its SAML metadata. */
  metadataUrl: HttpsUrlSchema,
  /** The SAML attribute with the person's e-mail. @default the WS-Federation e-mail claim URI */
  emailAttribute: z.string().min(1).max(256).optional(),
});

export const IdentityProviderSchema = z.discriminatedUnion('type', [
  OidcIdentityProviderSchema,
  SamlIdentityProviderSchema,
]);
export type IdentityProvider = z.infer<typeof IdentityProviderSchema>;

// ---------------------------------------------------------------------------
// Entries

export const DeploymentSchema = z.strictObject({
  id: SlugSchema,
  name: NameSchema,
  /** IANA time zone in which referral dates are calendar dates, e.g. "Europe/Berlin". */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"'),
  /** Years after the year of an event that its audit entry is kept (1 = end of the following year). */
  auditRetentionYears: z.int().min(1).max(30).optional(),
  /**
   * How long each kind of stored item is kept (docs/data-model.md, retention); every
   * member optional, defaults in shared/domain/retention.ts. `auditYears` is
   * `auditRetentionYears` under its new name (the same value if both are given).
   */
  retention: RetentionSettingsSchema.optional(),
  /**
   * Who the deployment's alarms reach: an e-mail subscription each to the alarm topic
   * (the operator's on-call addresses, never an office's). Absent: alarms notify no one.
   */
  alarmEmails: z.array(z.email('must be an e-mail address')).max(20).optional(),
  /** The e-mails to the offices' contact addresses (docs/notifications.md); absent: none in AWS. */
  notifications: z
    .strictObject({
      /** The sender, an address of the sending identity, e.g. "zuweisungen@lk-karlsruhe.example.org". */
      from: z.email('must be an e-mail address'),
      /**
       * The verified Amazon SES identity the mails are sent with: a domain or an address.
       * @default the domain of `from`
       */
      sesIdentity: z
        .string()
        .regex(
          /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^[^@\s]+@[^@\s]+$/,
          'must be a domain (e.g. "lk-karlsruhe.example.org") or an e-mail address',
        )
        .optional(),
      /**
       * The office inbox page the mails link to, when it is not the API's own `/office`
       * (e.g. behind a custom domain).
       * @default <API URL>/office
       */
      officePageUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    })
    .optional(),
});
export type Deployment = z.infer<typeof DeploymentSchema>;
export type NotificationSettings = NonNullable<Deployment['notifications']>;

/** The SES identity a deployment's notifications are sent with: as configured, else the sender's domain. */
export function sesIdentityOf(settings: NotificationSettings): string {
  return settings.sesIdentity ?? settings.from.slice(settings.from.lastIndexOf('@') + 1).toLowerCase();
}

export const MunicipalitySchema = z.strictObject({
  ags: AgsSchema,
  name: NameSchema,
});
export type Municipality = z.infer<typeof MunicipalitySchema>;

export const ServiceTypeSchema = z.strictObject({
  code: ServiceTypeCodeSchema,
  name: NameSchema,
});
export type ServiceType = z.infer<typeof ServiceTypeSchema>;

/**
 * How an organisation (an authority, or a provider with its offices) reaches the
 * deployment from outside the operator's account (docs/deploy.md, "Onboarding from
 * outside the account"). Absent: its programs act through roles of this account only.
 */
export const OrganisationAccessSchema = z.strictObject({
  /**
   * The organisation's own AWS account. Its roles may assume the organisation's role
   * here (an office: with the session tag `rex-office` of one of its offices), and the
   * `iamPrincipals` of its units in that account may call the API and consume their
   * queues directly (the API's, the queues' and the key's resource policies name them).
   */
  awsAccountId: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  /**
   * IAM Roles Anywhere: the organisation's software gets temporary credentials for an
   * X.509 certificate of its own CA. The certificate's subject must carry this
   * organisation (O) and, as common name (CN), the id of the unit it acts for (the
   * authority's id, or one of the provider's office ids).
   */
  rolesAnywhere: z
    .strictObject({
      /** The CA certificate(s), PEM (public: no private key belongs here). */
      certificateAuthority: z
        .string()
        .regex(
          /^\s*(-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*)+$/,
          'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- …)',
        )
        .refine((pem) => !/PRIVATE KEY/.test(pem), 'must not contain a private key'),
      /** The subject's organisation (O) every certificate of this organisation carries. */
      subjectOrganization: z
        .string()
        .regex(
          /^[\p{L}\p{N} .,&()'/+-]{1,64}$/u,
          "must be 1 to 64 letters, digits, spaces and . , & ( ) ' / + -",
        ),
    })
    .optional(),
});
export type OrganisationAccess = z.infer<typeof OrganisationAccessSchema>;

export const AuthoritySchema = z.strictObject({
  id: SlugSchema,
  name: NameSchema,
  /** The municipalities the authority is competent for (informational; routing does not use it). */
  municipalities: z.array(z.string()).optional(),
  iamPrincipals: PrincipalsSchema,
  /** The clerks who sign in for this authority. */
  people: peopleSchema(PERSON_ROLES.authority),
  /** The unit's own identity provider, through which its clerks sign in. */
  identityProvider: IdentityProviderSchema.optional(),
  /** How the authority's software reaches the deployment from outside the account. */
  access: OrganisationAccessSchema.optional(),
});
export type Authority = z.infer<typeof AuthoritySchema>;

export const ProviderSchema = z.strictObject({
  id: SlugSchema,
  name: NameSchema,
  /** How the software of the provider's offices reaches the deployment from outside the account. */
  access: OrganisationAccessSchema.optional(),
});
export type Provider = z.infer<typeof ProviderSchema>;

export const ContactSchema = z.strictObject({
  email: z.email('must be an e-mail address'),
  phone: z
    .string()
    .regex(/^\+?[0-9][0-9 /()-]{3,30}$/, 'must be a phone number (digits, spaces, "/", "-", "(", ")")')
    .optional(),
  address: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(300, 'must be at most 300 characters')
    .optional(),
  /** When the office can be reached, as people read it, e.g. "Mo–Do 9–12 Uhr, Di 14–17 Uhr". */
  openingHours: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(300, 'must be at most 300 characters')
    .optional(),
});
export type Contact = z.infer<typeof ContactSchema>;

export const ServiceOfficeSchema = z.strictObject({
  id: SlugSchema,
  /** A service type code; must be built in or listed in `serviceTypes`. */
  type: ServiceTypeCodeSchema,
  providerId: z.string(),
  name: NameSchema,
  /** AGS keys of the municipalities this office covers; each must be in `municipalities`. */
  municipalities: z.array(z.string()).min(1, 'must name at least one municipality'),
  languages: z.array(LanguageCodeSchema).min(1, 'must name at least one language'),
  /** Name of the office's SQS queue; unique in the directory. */
  queueName: SlugSchema,
  contact: ContactSchema,
  iamPrincipals: PrincipalsSchema,
  /** The counsellors who sign in for this office. */
  people: peopleSchema(PERSON_ROLES.serviceOffice),
  /** The unit's own identity provider, through which its counsellors sign in. */
  identityProvider: IdentityProviderSchema.optional(),
});
export type ServiceOffice = z.infer<typeof ServiceOfficeSchema>;

export const DataProtectionOfficerSchema = z.strictObject({
  /** What the officer oversees: the deployment id, or the id of an authority, provider or office. */
  scope: z.string(),
  name: NameSchema,
  iamPrincipals: PrincipalsSchema,
  /** The data-protection officers (and deputies) who sign in for this scope. */
  people: peopleSchema(PERSON_ROLES.dataProtectionOfficer),
  /** The unit's own identity provider, through which its officers sign in. */
  identityProvider: IdentityProviderSchema.optional(),
});
export type DataProtectionOfficer = z.infer<typeof DataProtectionOfficerSchema>;

export const RoutingConditionsSchema = z.strictObject({
  /** Age in completed years on the referral date, at least this. */
  minAge: z.int().min(0).max(150).optional(),
  /** Age in completed years on the referral date, below this (27 = "until the 27th birthday"). */
  maxAgeExclusive: z.int().min(1).max(151).optional(),
  housing: z.array(HousingSchema).min(1).optional(),
  residenceStatuses: z.array(ResidenceStatusSchema).min(1).optional(),
});
export type RoutingConditions = z.infer<typeof RoutingConditionsSchema>;

export const RoutingRuleSchema = z.strictObject({
  /** Rule ids name a slot; a slot may have several versions with disjoint validity. */
  id: SlugSchema,
  /** Rules valid on the referral date are tried in ascending priority. */
  priority: z.int().min(1).max(100_000),
  serviceType: ServiceTypeCodeSchema,
  description: z.string().max(500).optional(),
  /** First day the rule applies (calendar date in the deployment's time zone). */
  validFrom: IsoDateSchema,
  /** Last day the rule applies, inclusive; open-ended when absent. */
  validUntil: IsoDateSchema.optional(),
  when: RoutingConditionsSchema,
});
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

// ---------------------------------------------------------------------------
// The directory

const DirectoryShape = z.strictObject({
  schemaVersion: z.literal(1, 'must be 1'),
  /** The directory's own version, e.g. "2026-11-01.1"; recorded with each routing decision. */
  version: z
    .string()
    .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/, 'must be a version label such as "2026-11-01.1"'),
  deployment: DeploymentSchema,
  /** Extra service types beyond MBE, JMD and IM; a built-in code may be listed to rename it. */
  serviceTypes: z.array(ServiceTypeSchema).optional(),
  municipalities: z.array(MunicipalitySchema).min(1, 'must list at least one municipality'),
  authorities: z.array(AuthoritySchema).min(1, 'must list at least one authority'),
  providers: z.array(ProviderSchema).min(1, 'must list at least one provider'),
  serviceOffices: z.array(ServiceOfficeSchema).min(1, 'must list at least one service office'),
  dataProtectionOfficers: z
    .array(DataProtectionOfficerSchema)
    .min(1, 'must list at least one data-protection officer'),
  routingRules: z.array(RoutingRuleSchema).min(1, 'must list at least one routing rule'),
});

export const DirectorySchema = DirectoryShape.superRefine(checkCrossReferences, {
  // Run even when single values were refused, so that every problem is reported at once.
  when: () => true,
});
export type Directory = z.infer<typeof DirectorySchema>;

// ---------------------------------------------------------------------------
// Cross-reference checks. The value may be partly malformed here (see `when`
// above), so every access is defensive.

type Path = (string | number)[];
type Ctx = z.RefinementCtx;

function checkCrossReferences(value: unknown, ctx: Ctx): void {
  const root = asRecord(value);
  if (!root) return;
  const report = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });

  // Ids share one namespace, since they name AWS resources and DPO scopes.
  const ids = new FirstSeen();
  const deployment = asRecord(root.deployment);
  const auditYears = asRecord(deployment?.retention)?.auditYears;
  if (
    typeof auditYears === 'number' &&
    typeof deployment?.auditRetentionYears === 'number' &&
    auditYears !== deployment.auditRetentionYears
  ) {
    report(
      ['deployment', 'retention', 'auditYears'],
      `must equal deployment.auditRetentionYears (${deployment.auditRetentionYears}) when both are given`,
    );
  }
  if (deployment && typeof deployment.id === 'string') ids.claim(deployment.id, ['deployment', 'id']);
  for (const key of ['authorities', 'providers', 'serviceOffices'] as const) {
    asArray(root[key]).forEach((entry, i) => {
      const id = asRecord(entry)?.id;
      if (typeof id !== 'string') return;
      const first = ids.claim(id, [key, i, 'id']);
      if (first) report([key, i, 'id'], `duplicate id "${id}" (first used at ${formatPath(first)})`);
    });
  }

  const municipalities = new FirstSeen();
  asArray(root.municipalities).forEach((entry, i) => {
    const ags = asRecord(entry)?.ags;
    if (typeof ags !== 'string') return;
    const first = municipalities.claim(ags, ['municipalities', i, 'ags']);
    if (first)
      report(
        ['municipalities', i, 'ags'],
        `duplicate municipality key "${ags}" (first listed at ${formatPath(first)})`,
      );
  });

  const serviceTypes = new Set<string>(BUILT_IN_SERVICE_TYPES.map((t) => t.code));
  const listedTypes = new FirstSeen();
  asArray(root.serviceTypes).forEach((entry, i) => {
    const code = asRecord(entry)?.code;
    if (typeof code !== 'string') return;
    const first = listedTypes.claim(code, ['serviceTypes', i, 'code']);
    if (first)
      report(
        ['serviceTypes', i, 'code'],
        `duplicate service type "${code}" (first listed at ${formatPath(first)})`,
      );
    serviceTypes.add(code);
  });

  const providerIds = new Set(
    asArray(root.providers)
      .map((p) => asRecord(p)?.id)
      .filter((id): id is string => typeof id === 'string'),
  );
  const queues = new FirstSeen();
  const typesWithOffices = new Set<string>();
  asArray(root.serviceOffices).forEach((entry, i) => {
    const office = asRecord(entry);
    if (!office) return;
    const at = (...rest: Path): Path => ['serviceOffices', i, ...rest];
    if (typeof office.type === 'string') {
      if (serviceTypes.has(office.type)) typesWithOffices.add(office.type);
      else
        report(
          at('type'),
          `unknown service type "${office.type}" (not built in and not listed in serviceTypes)`,
        );
    }
    if (typeof office.providerId === 'string' && !providerIds.has(office.providerId)) {
      report(at('providerId'), `unknown provider "${office.providerId}"`);
    }
    checkMunicipalityRefs(office.municipalities, at('municipalities'), municipalities, report);
    const seenLanguages = new Set<string>();
    asArray(office.languages).forEach((code, j) => {
      if (typeof code !== 'string') return;
      if (seenLanguages.has(code)) report(at('languages', j), `language "${code}" is listed twice`);
      seenLanguages.add(code);
    });
    if (typeof office.queueName === 'string') {
      const first = queues.claim(office.queueName, at('queueName'));
      if (first)
        report(
          at('queueName'),
          `duplicate queue name "${office.queueName}" (first used at ${formatPath(first)})`,
        );
    }
  });

  asArray(root.authorities).forEach((entry, i) => {
    const authority = asRecord(entry);
    if (authority && authority.municipalities !== undefined) {
      checkMunicipalityRefs(
        authority.municipalities,
        ['authorities', i, 'municipalities'],
        municipalities,
        report,
      );
    }
  });

  asArray(root.dataProtectionOfficers).forEach((entry, i) => {
    const scope = asRecord(entry)?.scope;
    if (typeof scope === 'string' && !ids.has(scope)) {
      report(
        ['dataProtectionOfficers', i, 'scope'],
        `unknown scope "${scope}" (must be the deployment id or the id of an authority, provider or service office)`,
      );
    }
  });

  // An AWS principal must resolve to exactly one directory entry. ARNs can carry
  // user names, so messages point at the first occurrence instead of quoting it.
  const principals = new FirstSeen();
  for (const key of ['authorities', 'serviceOffices', 'dataProtectionOfficers'] as const) {
    asArray(root[key]).forEach((entry, i) => {
      asArray(asRecord(entry)?.iamPrincipals).forEach((arn, j) => {
        if (typeof arn !== 'string') return;
        const first = principals.claim(arn, [key, i, 'iamPrincipals', j]);
        if (first)
          report([key, i, 'iamPrincipals', j], `principal is already mapped at ${formatPath(first)}`);
      });
    });
  }

  // An organisation with its own account: its units' principals in that account are the
  // ones the resource policies name; one in a third account would silently get nothing.
  const accountOf = new Map<string, string>();
  for (const key of ['authorities', 'providers'] as const) {
    asArray(root[key]).forEach((entry) => {
      const e = asRecord(entry);
      const account = asRecord(e?.access)?.awsAccountId;
      if (typeof e?.id === 'string' && typeof account === 'string') accountOf.set(e.id, account);
    });
  }
  for (const key of ['authorities', 'serviceOffices'] as const) {
    asArray(root[key]).forEach((entry, i) => {
      const e = asRecord(entry);
      const org = key === 'authorities' ? e?.id : e?.providerId;
      const account = typeof org === 'string' ? accountOf.get(org) : undefined;
      if (!account) return;
      asArray(e?.iamPrincipals).forEach((arn, j) => {
        if (typeof arn !== 'string') return;
        const inAccount = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(arn)?.[1];
        if (inAccount && inAccount !== account)
          report(
            [key, i, 'iamPrincipals', j],
            `must be in the organisation's account ${account} (access.awsAccountId), or the organisation lists no account`,
          );
      });
    });
  }

  // A person is a member of exactly one organisation unit. Messages point at the
  // first occurrence instead of quoting the e-mail address or subject.
  const people = new FirstSeen();
  for (const key of ['authorities', 'serviceOffices', 'dataProtectionOfficers'] as const) {
    asArray(root[key]).forEach((entry, i) => {
      asArray(asRecord(entry)?.people).forEach((person, j) => {
        const p = asRecord(person);
        const id =
          typeof p?.subject === 'string'
            ? `sub:${p.subject}`
            : typeof p?.email === 'string'
              ? `email:${p.email.toLowerCase()}`
              : undefined;
        if (!id) return;
        const first = people.claim(id, [key, i, 'people', j]);
        if (first) report([key, i, 'people', j], `person is already listed at ${formatPath(first)}`);
      });
    });
  }

  // Units that share an identity provider define it identically: it is one provider of the pool.
  const providers = new Map<string, { path: Path; text: string }>();
  for (const key of ['authorities', 'serviceOffices', 'dataProtectionOfficers'] as const) {
    asArray(root[key]).forEach((entry, i) => {
      const idp = asRecord(asRecord(entry)?.identityProvider);
      if (!idp || typeof idp.name !== 'string') return;
      const path: Path = [key, i, 'identityProvider'];
      const text = JSON.stringify(Object.entries(idp).sort(([a], [b]) => a.localeCompare(b)));
      const first = providers.get(idp.name);
      if (!first) providers.set(idp.name, { path, text });
      else if (first.text !== text)
        report(
          [...path, 'name'],
          `identity provider "${idp.name}" is defined differently at ${formatPath(first.path)}`,
        );
    });
  }

  checkRoutingRules(asArray(root.routingRules), serviceTypes, typesWithOffices, report);
}

function checkMunicipalityRefs(
  refs: unknown,
  path: Path,
  known: FirstSeen,
  report: (path: Path, message: string) => void,
): void {
  const seen = new Set<string>();
  asArray(refs).forEach((ags, j) => {
    if (typeof ags !== 'string') {
      report([...path, j], 'must be a municipality key (string)');
      return;
    }
    if (!known.has(ags)) report([...path, j], `unknown municipality key "${ags}"`);
    else if (seen.has(ags)) report([...path, j], `municipality key "${ags}" is listed twice`);
    seen.add(ags);
  });
}

interface RuleWindow {
  readonly index: number;
  readonly id: unknown;
  readonly priority: unknown;
  readonly from: string;
  readonly until: string | undefined;
}

/**
 * Overlap is defined on inclusive calendar-date intervals [validFrom, validUntil]
 * (validUntil absent = open-ended). Two rules overlap when some date lies in both.
 * Rules sharing an id are versions of one rule; rules sharing a priority would be
 * tried in no defined order. In both cases their validity must not overlap.
 */
function checkRoutingRules(
  rules: unknown[],
  serviceTypes: ReadonlySet<string>,
  typesWithOffices: ReadonlySet<string>,
  report: (path: Path, message: string) => void,
): void {
  const windows: RuleWindow[] = [];
  rules.forEach((entry, i) => {
    const rule = asRecord(entry);
    if (!rule) return;
    const type = rule.serviceType;
    if (typeof type === 'string') {
      if (!serviceTypes.has(type))
        report(['routingRules', i, 'serviceType'], `unknown service type "${type}"`);
      else if (!typesWithOffices.has(type)) {
        report(['routingRules', i, 'serviceType'], `no service office has service type "${type}"`);
      }
    }
    const when = asRecord(rule.when);
    if (when && typeof when.minAge === 'number' && typeof when.maxAgeExclusive === 'number') {
      if (when.maxAgeExclusive <= when.minAge) {
        report(['routingRules', i, 'when', 'maxAgeExclusive'], 'must be greater than minAge');
      }
    }
    const from = validDate(rule.validFrom);
    const until = rule.validUntil === undefined ? undefined : validDate(rule.validUntil);
    if (from === null || until === null) return; // already refused as a malformed date
    if (until !== undefined && until < from) {
      report(['routingRules', i, 'validUntil'], `${until} is before validFrom ${from}`);
      return;
    }
    windows.push({ index: i, id: rule.id, priority: rule.priority, from, until });
  });

  for (let b = 1; b < windows.length; b++) {
    const later = windows[b]!;
    for (let a = 0; a < b; a++) {
      const earlier = windows[a]!;
      if (!overlaps(earlier, later)) continue;
      const other = formatPath(['routingRules', earlier.index]);
      if (typeof later.id === 'string' && later.id === earlier.id) {
        report(
          ['routingRules', later.index],
          `validity ${span(later)} overlaps ${other} (${span(earlier)}), a version of the same rule id "${later.id}"`,
        );
      } else if (typeof later.priority === 'number' && later.priority === earlier.priority) {
        report(
          ['routingRules', later.index, 'priority'],
          `priority ${later.priority} is also used by ${other} with overlapping validity (${span(earlier)})`,
        );
      }
    }
  }
}

function overlaps(a: RuleWindow, b: RuleWindow): boolean {
  // ISO dates compare correctly as strings.
  return (a.until === undefined || b.from <= a.until) && (b.until === undefined || a.from <= b.until);
}

function span(w: RuleWindow): string {
  return `${w.from} to ${w.until ?? 'open end'}`;
}

function validDate(value: unknown): string | null {
  return typeof value === 'string' && IsoDateSchema.safeParse(value).success ? value : null;
}

// ---------------------------------------------------------------------------
// Helpers

/** Remembers where each key was seen first. */
class FirstSeen {
  readonly #first = new Map<string, Path>();
  /** Records the key; returns the earlier path if it was already claimed. */
  claim(key: string, path: Path): Path | undefined {
    const first = this.#first.get(key);
    if (first) return first;
    this.#first.set(key, path);
    return undefined;
  }
  has(key: string): boolean {
    return this.#first.has(key);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** Paths in the directory file name the root `(root)`. */
export const formatPath = (path: readonly PropertyKey[]): string => formatFieldPath(path, '(root)');
