import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import {
  authorityById,
  type Directory,
  DirectoryInvalidError,
  type DirectoryIssue,
  formatPath,
  identityProvidersOf,
  officeById,
  officesCovering,
  parseDirectory,
  peopleOf,
  providerById,
  serviceTypesOf,
  unitNameOf,
} from '#shared/domain/directory/index.ts';

const EXAMPLE_PATH = new URL('../../../config/directory.example.json', import.meta.url).pathname;
// The cases below edit the JSON freely, as an operator would, including into invalid shapes.
// biome-ignore lint/suspicious/noExplicitAny: free-form JSON under test
type EditableJson = Record<string, any>;
const example = (): EditableJson => structuredClone(loadDirectory(EXAMPLE_PATH)) as EditableJson;

function issuesOf(json: unknown): DirectoryIssue[] {
  try {
    parseDirectory(json);
  } catch (error) {
    if (error instanceof DirectoryInvalidError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the directory to be refused');
}

describe('the example directory', () => {
  const directory = loadDirectory(EXAMPLE_PATH);

  it("names each principal's organisation unit, and none for the operator or an unknown unit", () => {
    expect(unitNameOf(directory, { kind: 'authority', id: 'abh-lk-karlsruhe' })).toBe(
      authorityById(directory, 'abh-lk-karlsruhe')?.name,
    );
    expect(unitNameOf(directory, { kind: 'service', id: 'mbe-caritas-bruchsal' })).toMatch(
      /Caritas Bruchsal/,
    );
    expect(unitNameOf(directory, { kind: 'dpo', scope: 'lk-karlsruhe' })).toBe(
      'Datenschutzbeauftragte des Landratsamts Karlsruhe',
    );
    expect(unitNameOf(directory, { kind: 'operator' })).toBeUndefined();
    expect(unitNameOf(directory, { kind: 'service', id: 'no-such-office' })).toBeUndefined();
  });

  it('is valid and describes Landkreis Karlsruhe', () => {
    expect(directory.schemaVersion).toBe(1);
    expect(directory.deployment).toEqual({
      id: 'lk-karlsruhe',
      name: 'Landkreis Karlsruhe',
      timeZone: 'Europe/Berlin',
      notifications: { from: 'zuweisungen@lk-karlsruhe.example.org' },
      alarmEmails: ['betrieb@lk-karlsruhe.example.org'],
    });
    expect(directory.municipalities.every((m) => m.ags.startsWith('08215'))).toBe(true);
    expect(directory.dataProtectionOfficers).toHaveLength(3);
    expect(directory.dataProtectionOfficers[0]?.scope).toBe('lk-karlsruhe');
  });

  it('has at least one municipality covered by two MBE offices of different providers', () => {
    const doubly = directory.municipalities.filter((m) => {
      const providers = new Set(officesCovering(directory, m.ags, 'MBE').map((o) => o.providerId));
      return providers.size >= 2;
    });
    expect(doubly.map((m) => m.name)).toContain('Bruchsal');
  });

  it('has IM run by the district for most municipalities and by Bruchsal and Ettlingen themselves', () => {
    const imProvider = (name: string) => {
      const ags = directory.municipalities.find((m) => m.name === name)?.ags ?? '';
      return officesCovering(directory, ags, 'IM').map((o) => o.providerId);
    };
    expect(imProvider('Bruchsal')).toEqual(['stadt-bruchsal']);
    expect(imProvider('Ettlingen')).toEqual(['stadt-ettlingen']);
    expect(imProvider('Bretten')).toEqual(['landkreis-karlsruhe']);
    expect(imProvider('Stutensee')).toEqual(['landkreis-karlsruhe']);
  });

  it('covers every municipality with at least one MBE, JMD and IM office', () => {
    for (const m of directory.municipalities) {
      for (const type of ['MBE', 'JMD', 'IM']) {
        expect(officesCovering(directory, m.ags, type).length, `${m.name} ${type}`).toBeGreaterThan(0);
      }
    }
  });

  it('is found by the lookup helpers', () => {
    expect(officeById(directory, 'jmd-ib-bruchsal')?.type).toBe('JMD');
    expect(officeById(directory, 'nope')).toBeUndefined();
    expect(authorityById(directory, 'abh-lk-karlsruhe')?.name).toContain('Ausländerbehörde');
    expect(providerById(directory, 'ib-mittelbaden')?.name).toContain('Internationaler Bund');
    expect(serviceTypesOf(directory).map((t) => t.code)).toEqual(['MBE', 'JMD', 'IM']);
  });
});

describe('invalid directories', () => {
  // Each case breaks one thing; the issue must name the JSON path and the reason.
  const cases: { name: string; mutate: (d: EditableJson) => void; path: string; reason: RegExp }[] = [
    {
      name: 'duplicate office id',
      mutate: (d) => {
        d.serviceOffices[1].id = d.serviceOffices[0].id;
      },
      path: 'serviceOffices[1].id',
      reason: /duplicate id "mbe-caritas-bruchsal" \(first used at serviceOffices\[0\]\.id\)/,
    },
    {
      name: 'an id shared by a provider and an office',
      mutate: (d) => {
        d.serviceOffices[0].id = 'caritas-bruchsal';
      },
      path: 'serviceOffices[0].id',
      reason: /duplicate id "caritas-bruchsal" \(first used at providers\[0\]\.id\)/,
    },
    {
      name: 'an id equal to the deployment id',
      mutate: (d) => {
        d.authorities[0].id = 'lk-karlsruhe';
      },
      path: 'authorities[0].id',
      reason: /duplicate id "lk-karlsruhe" \(first used at deployment\.id\)/,
    },
    {
      name: 'duplicate queue name',
      mutate: (d) => {
        d.serviceOffices[2].queueName = d.serviceOffices[0].queueName;
      },
      path: 'serviceOffices[2].queueName',
      reason: /duplicate queue name "mbe-caritas-bruchsal"/,
    },
    {
      name: 'malformed id',
      mutate: (d) => {
        d.providers[0].id = 'Caritas_Bruchsal';
      },
      path: 'providers[0].id',
      reason: /lowercase slug/,
    },
    {
      name: 'malformed AGS (7 digits)',
      mutate: (d) => {
        d.municipalities[0].ags = '0821500';
      },
      path: 'municipalities[0].ags',
      reason: /8 digits/,
    },
    {
      name: 'duplicate AGS',
      mutate: (d) => {
        d.municipalities[1].ags = d.municipalities[0].ags;
      },
      path: 'municipalities[1].ags',
      reason: /duplicate municipality key "08215007"/,
    },
    {
      name: 'office referencing an unknown municipality',
      mutate: (d) => {
        d.serviceOffices[3].municipalities[0] = '0821500';
      },
      path: 'serviceOffices[3].municipalities[0]',
      reason: /^unknown municipality key "0821500"$/,
    },
    {
      name: 'office referencing an unknown provider',
      mutate: (d) => {
        d.serviceOffices[0].providerId = 'awo-karlsruhe';
      },
      path: 'serviceOffices[0].providerId',
      reason: /unknown provider "awo-karlsruhe"/,
    },
    {
      name: 'office of an unknown service type',
      mutate: (d) => {
        d.serviceOffices[0].type = 'FMB';
      },
      path: 'serviceOffices[0].type',
      reason: /unknown service type "FMB"/,
    },
    {
      name: 'language that is not ISO 639-1',
      mutate: (d) => {
        d.serviceOffices[0].languages[1] = 'ara';
      },
      path: 'serviceOffices[0].languages[1]',
      reason: /ISO 639-1/,
    },
    {
      name: 'rule for a service type that no office has',
      mutate: (d) => {
        d.serviceTypes = [{ code: 'FMB', name: 'Flüchtlings- und Migrationsberatung' }];
        d.routingRules[0].serviceType = 'FMB';
      },
      path: 'routingRules[0].serviceType',
      reason: /no service office has service type "FMB"/,
    },
    {
      name: 'rule for an unknown service type',
      mutate: (d) => {
        d.routingRules[0].serviceType = 'XYZ';
      },
      path: 'routingRules[0].serviceType',
      reason: /unknown service type "XYZ"/,
    },
    {
      name: 'validUntil before validFrom',
      mutate: (d) => {
        d.routingRules[1].validUntil = '2024-01-11';
      },
      path: 'routingRules[1].validUntil',
      reason: /2024-01-11 is before validFrom 2024-01-12/,
    },
    {
      name: 'two versions of one rule id with overlapping validity',
      mutate: (d) => {
        d.routingRules[1].validUntil = '2026-12-31';
        d.routingRules.push({ ...structuredClone(d.routingRules[1]), priority: 25, validFrom: '2026-12-31' });
        delete d.routingRules[3].validUntil;
      },
      path: 'routingRules[3]',
      reason: /overlaps routingRules\[1\] .*same rule id "jmd-12-26"/,
    },
    {
      name: 'two rules with the same priority and overlapping validity',
      mutate: (d) => {
        d.routingRules[2].priority = d.routingRules[1].priority;
      },
      path: 'routingRules[2].priority',
      reason: /priority 20 is also used by routingRules\[1\]/,
    },
    {
      name: 'age bounds the wrong way round',
      mutate: (d) => {
        d.routingRules[1].when.maxAgeExclusive = 12;
      },
      path: 'routingRules[1].when.maxAgeExclusive',
      reason: /greater than minAge/,
    },
    {
      name: 'impossible date',
      mutate: (d) => {
        d.routingRules[0].validFrom = '2025-02-29';
      },
      path: 'routingRules[0].validFrom',
      reason: /calendar date/,
    },
    {
      name: 'DPO with an unknown scope',
      mutate: (d) => {
        d.dataProtectionOfficers[0].scope = 'lk-rastatt';
      },
      path: 'dataProtectionOfficers[0].scope',
      reason: /unknown scope "lk-rastatt"/,
    },
    {
      name: 'one IAM principal mapped twice',
      mutate: (d) => {
        d.serviceOffices[0].iamPrincipals = [d.authorities[0].iamPrincipals[0]];
      },
      path: 'serviceOffices[0].iamPrincipals[0]',
      reason: /already mapped at authorities\[0\]\.iamPrincipals\[0\]/,
    },
    {
      name: 'malformed IAM principal',
      mutate: (d) => {
        d.authorities[0].iamPrincipals = ['arn:aws:s3:::bucket'];
      },
      path: 'authorities[0].iamPrincipals[0]',
      reason: /IAM role or user ARN/,
    },
    {
      name: "an office's principal outside its provider's own account",
      mutate: (d) => {
        const office = d.serviceOffices[0];
        d.providers.find((p: EditableJson) => p.id === office.providerId).access = {
          awsAccountId: '444455556666',
        };
      },
      path: 'serviceOffices[0].iamPrincipals[0]',
      reason: /organisation's account 444455556666/,
    },
    {
      name: 'an account id that is not 12 digits',
      mutate: (d) => {
        d.authorities[0].access = { awsAccountId: '12345' };
      },
      path: 'authorities[0].access.awsAccountId',
      reason: /12-digit AWS account id/,
    },
    {
      name: 'a Roles Anywhere CA that is no certificate',
      mutate: (d) => {
        d.providers[0].access = {
          rolesAnywhere: { certificateAuthority: 'MIIB…', subjectOrganization: 'Caritas' },
        };
      },
      path: 'providers[0].access.rolesAnywhere.certificateAuthority',
      reason: /PEM certificates/,
    },
    {
      name: 'a private key where the CA certificate belongs',
      mutate: (d) => {
        d.providers[0].access = {
          rolesAnywhere: {
            certificateAuthority:
              '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
            subjectOrganization: 'Caritas',
          },
        };
      },
      path: 'providers[0].access.rolesAnywhere.certificateAuthority',
      reason: /PEM certificates|private key/,
    },
    {
      name: 'a subject organisation with a quote',
      mutate: (d) => {
        d.providers[0].access = {
          rolesAnywhere: {
            certificateAuthority: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
            subjectOrganization: 'Caritas "Bruchsal"',
          },
        };
      },
      path: 'providers[0].access.rolesAnywhere.subjectOrganization',
      reason: /letters, digits/,
    },
    {
      name: 'unknown property',
      mutate: (d) => {
        d.serviceOffices[0].colour = 'blue';
      },
      path: 'serviceOffices[0]',
      reason: /colour/,
    },
    {
      name: 'unknown time zone',
      mutate: (d) => {
        d.deployment.timeZone = 'Europe/Karlsruhe';
      },
      path: 'deployment.timeZone',
      reason: /IANA time zone/,
    },
    {
      name: 'a notification sender that is no address',
      mutate: (d) => {
        d.deployment.notifications = { from: 'zuweisungen' };
      },
      path: 'deployment.notifications.from',
      reason: /e-mail address/,
    },
    {
      name: 'an SES identity that is neither a domain nor an address',
      mutate: (d) => {
        d.deployment.notifications = { from: 'a@example.org', sesIdentity: 'arn:aws:ses:x' };
      },
      path: 'deployment.notifications.sesIdentity',
      reason: /domain .* or an e-mail address/,
    },
    {
      name: 'an office page that is not https',
      mutate: (d) => {
        d.deployment.notifications = { from: 'a@example.org', officePageUrl: 'http://example.org/office' };
      },
      path: 'deployment.notifications.officePageUrl',
      reason: /https URL/,
    },
    {
      name: 'a retention setting out of range',
      mutate: (d) => {
        d.deployment.retention = { referralDaysAfterEnd: 0 };
      },
      path: 'deployment.retention.referralDaysAfterEnd',
      reason: />=1|at least|too small/i,
    },
    {
      name: 'an unknown retention setting',
      mutate: (d) => {
        d.deployment.retention = { consentDays: 10 };
      },
      path: 'deployment.retention',
      reason: /consentDays/,
    },
    {
      name: 'two different audit retentions under the old and the new name',
      mutate: (d) => {
        d.deployment.auditRetentionYears = 2;
        d.deployment.retention = { auditYears: 3 };
      },
      path: 'deployment.retention.auditYears',
      reason: /must equal deployment.auditRetentionYears \(2\)/,
    },
    {
      name: 'wrong schema version',
      mutate: (d) => {
        d.schemaVersion = 2;
      },
      path: 'schemaVersion',
      reason: /must be 1/,
    },
  ];

  it.each(cases)('reports $name at its path', ({ mutate, path, reason }) => {
    const directory = example();
    mutate(directory);
    const issues = issuesOf(directory);
    const atPath = issues.filter((issue) => issue.path === path);
    expect(atPath.length, JSON.stringify(issues)).toBeGreaterThan(0);
    expect(
      atPath.some((issue) => reason.test(issue.reason)),
      JSON.stringify(atPath),
    ).toBe(true);
  });

  it("accepts an organisation's own account and Roles Anywhere CA, with its units' principals in that account", () => {
    const directory = example();
    const office = directory.serviceOffices[0];
    const provider = directory.providers.find((p: EditableJson) => p.id === office.providerId);
    provider.access = {
      awsAccountId: '444455556666',
      rolesAnywhere: {
        certificateAuthority: '-----BEGIN CERTIFICATE-----\nMIIB6DCCAY+g\n-----END CERTIFICATE-----\n',
        subjectOrganization: 'Caritasverband Bruchsal e.V.',
      },
    };
    for (const o of directory.serviceOffices.filter((x: EditableJson) => x.providerId === provider.id))
      o.iamPrincipals = [`arn:aws:iam::444455556666:role/rex-client-${o.id}`];
    expect(parseDirectory(directory).providers.find((p) => p.id === provider.id)?.access?.awsAccountId).toBe(
      '444455556666',
    );
  });

  it('accepts every retention setting, and the audit retention under both names when they agree', () => {
    const directory = example();
    directory.deployment.auditRetentionYears = 2;
    directory.deployment.retention = {
      auditYears: 2,
      idempotencyHours: 48,
      referralDaysAfterEnd: 30,
      outboxDays: 7,
      officeStateDaysAfterRemoval: 60,
    };
    expect(parseDirectory(directory).deployment.retention).toEqual(directory.deployment.retention);
  });

  it('accepts rule versions with adjacent, non-overlapping validity', () => {
    const directory = example();
    directory.routingRules[1].validUntil = '2026-12-31';
    directory.routingRules.push({ ...structuredClone(directory.routingRules[1]), validFrom: '2027-01-01' });
    delete directory.routingRules[3].validUntil;
    expect(() => parseDirectory(directory)).not.toThrow();
  });

  it('accepts a deployment service type with an office and a rule', () => {
    const directory = example();
    directory.serviceTypes = [{ code: 'FMB', name: 'Flüchtlings- und Migrationsberatung' }];
    directory.serviceOffices.push({
      ...structuredClone(directory.serviceOffices[0]),
      id: 'fmb-diakonie-bretten',
      type: 'FMB',
      queueName: 'fmb-diakonie-bretten',
      iamPrincipals: [],
      people: [],
    });
    directory.routingRules.push({
      id: 'fmb',
      priority: 40,
      serviceType: 'FMB',
      validFrom: '2026-01-01',
      when: {},
    });
    const parsed: Directory = parseDirectory(directory);
    expect(serviceTypesOf(parsed).map((t) => t.code)).toEqual(['MBE', 'JMD', 'IM', 'FMB']);
  });

  it('lists each person in one organisation unit only, by subject or e-mail, with the role of the unit', () => {
    const directory = example();
    const email = directory.serviceOffices[0].people[0].email;
    directory.serviceOffices[1].people.push({ email: email.toUpperCase(), role: 'counsellor' });
    directory.authorities[0].people.push({ email: 'x@demo.invalid', role: 'dpo' });
    directory.dataProtectionOfficers[0].people.push({ role: 'dpo' });
    const issues = issuesOf(directory).map((i) => `${i.path}: ${i.reason}`);
    expect(issues).toContain(
      'serviceOffices[1].people[1]: person is already listed at serviceOffices[0].people[0]',
    );
    expect(issues.some((i) => i.startsWith('authorities[0].people[1].role'))).toBe(true);
    expect(issues).toContain(
      'dataProtectionOfficers[0].people[1]: must name exactly one of subject or email',
    );
    expect(JSON.stringify(issues)).not.toContain(email);
  });

  it("names a unit's own identity provider, OIDC or SAML, the OIDC client secret by Secrets Manager name only", () => {
    const directory = example();
    const entra = {
      type: 'oidc',
      name: 'caritas-entra',
      issuer: 'https://login.microsoftonline.com/tenant/v2.0',
      clientId: '00000000-0000-0000-0000-000000000001',
      clientSecretName: 'rex/prod/caritas-entra',
    };
    directory.serviceOffices[0].identityProvider = entra;
    directory.serviceOffices[1].identityProvider = structuredClone(entra); // one organisation, two offices
    directory.authorities[0].identityProvider = {
      type: 'saml',
      name: 'abh-adfs',
      metadataUrl: 'https://adfs.example/FederationMetadata/2007-06/FederationMetadata.xml',
    };
    const parsed = parseDirectory(directory);
    expect(identityProvidersOf(parsed).map((p) => p.name)).toEqual(['abh-adfs', 'caritas-entra']);
    expect(peopleOf(parsed).filter((p) => p.identityProvider === 'caritas-entra')).toHaveLength(
      parsed.serviceOffices[0]!.people!.length + parsed.serviceOffices[1]!.people!.length,
    );

    directory.serviceOffices[1].identityProvider.clientId = 'another';
    directory.serviceOffices[2].identityProvider = { ...entra, name: 'x', clientSecret: 'sekret' };
    directory.serviceOffices[3].identityProvider = {
      ...entra,
      name: 'Cognito',
      issuer: 'http://idp.example',
    };
    const issues = issuesOf(directory).map((i) => `${i.path}: ${i.reason}`);
    expect(issues).toContain(
      'serviceOffices[1].identityProvider.name: identity provider "caritas-entra" is defined differently at serviceOffices[0].identityProvider',
    );
    expect(issues.some((i) => i.startsWith('serviceOffices[2].identityProvider'))).toBe(true);
    expect(issues).toContain('serviceOffices[3].identityProvider.name: is reserved by Amazon Cognito');
    expect(issues).toContain('serviceOffices[3].identityProvider.issuer: must be an https:// URL');
    expect(JSON.stringify(issues)).not.toContain('sekret');
  });

  it('reports every problem at once, structural and cross-reference alike', () => {
    const directory = example();
    directory.municipalities[0].ags = '0821500'; // structural
    directory.serviceOffices[1].id = directory.serviceOffices[0].id; // cross-reference
    directory.serviceOffices[3].municipalities[0] = '99999999'; // cross-reference
    directory.routingRules[1].validUntil = '2020-01-01'; // cross-reference
    directory.providers[0].name = ''; // structural
    const issues = issuesOf(directory);
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'municipalities[0].ags',
        'serviceOffices[1].id',
        'serviceOffices[3].municipalities[0]',
        'routingRules[1].validUntil',
        'providers[0].name',
      ]),
    );
  });

  it('lists the issues one per line in the error message', () => {
    const directory = example();
    directory.serviceOffices[3].municipalities[0] = '0821500';
    directory.serviceOffices[0].providerId = 'awo-karlsruhe';
    let message = '';
    try {
      parseDirectory(directory, 'directory.json');
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('The directory directory.json is not valid (2 problems):');
    expect(lines).toContain('serviceOffices[3].municipalities[0]: unknown municipality key "0821500"');
    expect(lines).toContain('serviceOffices[0].providerId: unknown provider "awo-karlsruhe"');
  });

  it('never quotes an IAM principal, which may carry a person’s user name', () => {
    const directory = example();
    const arn = 'arn:aws:iam::111122223333:user/erika.mustermann';
    directory.authorities[0].iamPrincipals = [arn];
    directory.authorities[1].iamPrincipals = [arn];
    const issues = issuesOf(directory);
    expect(issues.some((issue) => issue.path === 'authorities[1].iamPrincipals[0]')).toBe(true);
    expect(JSON.stringify(issues)).not.toContain('mustermann');
  });

  it('refuses input that is not an object without crashing the cross-reference checks', () => {
    for (const input of [null, 42, 'directory', []]) {
      expect(issuesOf(input)[0]?.path).toBe('(root)');
    }
  });
});

describe('loadDirectory', () => {
  it('reports a file that is not JSON as an invalid directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'directory-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "schemaVersion": 1,');
    expect(() => loadDirectory(file)).toThrow(DirectoryInvalidError);
    expect(() => loadDirectory(file)).toThrow(/\(root\): not valid JSON/);
  });
});

describe('formatPath', () => {
  it('renders paths as they read in JSON', () => {
    expect(formatPath(['serviceOffices', 3, 'municipalities', 0])).toBe(
      'serviceOffices[3].municipalities[0]',
    );
    expect(formatPath(['deployment', 'id'])).toBe('deployment.id');
    expect(formatPath([])).toBe('(root)');
  });
});
