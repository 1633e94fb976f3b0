import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '#shared/api/index.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { officeQueue } from '#shared/resources.ts';
import {
  asArray,
  type CfnResource,
  directory as example,
  permissionStatements,
  referencedId,
  resourcesOfType,
  STAGE,
  type Synthesised,
  synthesise,
} from './synth.ts';

/**
 * The onboarding paths from outside the operator's account, as the template makes them
 * (docs/deploy.md, "Onboarding from outside the account"): IAM Roles Anywhere with an
 * organisation's CA, and an organisation's own AWS account — by assuming its role here
 * with the office tag, or with its own roles through the API's, queues' and key's
 * resource policies.
 */

/** A test CA (public certificate only; subject O=Caritasverband Bruchsal e.V.). */
const CA = `-----BEGIN CERTIFICATE-----
MIIB6DCCAY+gAwIBAgIUS76m8QIoohpdItFSoQELPrce4e8wCgYIKoZIzj0EAwIw
SjElMCMGA1UECgwcQ2FyaXRhc3ZlcmJhbmQgQnJ1Y2hzYWwgZS5WLjEhMB8GA1UE
AwwYQ2FyaXRhcyBCcnVjaHNhbCBUZXN0IENBMB4XDTI2MTIwMzE4NDAyN1oXDTM2
MTEzMDE4NDAyN1owSjElMCMGA1UECgwcQ2FyaXRhc3ZlcmJhbmQgQnJ1Y2hzYWwg
ZS5WLjEhMB8GA1UEAwwYQ2FyaXRhcyBCcnVjaHNhbCBUZXN0IENBMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE2u6Bgbm9RLtWmlfrp99zbvPW4mgxteyW/EnDlcas
sxaTxQr7dGU/+TrPLU1bg8JM2dgvRbrXum/yNpapPi3tRqNTMFEwHQYDVR0OBBYE
FD/zyMG8oEgPLka5VkwJzOuX5NcxMB8GA1UdIwQYMBaAFD/zyMG8oEgPLka5VkwJ
zOuX5NcxMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgEIjgYST6
GS0cDTMgwOyQz/AQxdyGzKshWpiY5oj+baUCIDBFLGbdtgBP/VU2GsEewhO6NIu/
sFF2AC6aX+s5dQ9Y
-----END CERTIFICATE-----
`;
const CARITAS = 'caritas-bruchsal';
const IB = 'ib-mittelbaden';
const IB_ACCOUNT = '444455556666';
const AUTHORITY = 'abh-bruchsal';
const AUTHORITY_ACCOUNT = '777788889999';

const directory: Directory = {
  ...example,
  providers: example.providers.map((p) =>
    p.id === CARITAS
      ? {
          ...p,
          access: {
            rolesAnywhere: { certificateAuthority: CA, subjectOrganization: 'Caritasverband Bruchsal e.V.' },
          },
        }
      : p.id === IB
        ? { ...p, access: { awsAccountId: IB_ACCOUNT } }
        : p,
  ),
  serviceOffices: example.serviceOffices.map((o) =>
    o.providerId === IB ? { ...o, iamPrincipals: [`arn:aws:iam::${IB_ACCOUNT}:role/rex-client-${o.id}`] } : o,
  ),
  authorities: example.authorities.map((a) =>
    a.id === AUTHORITY
      ? {
          ...a,
          iamPrincipals: [`arn:aws:iam::${AUTHORITY_ACCOUNT}:role/case-system`],
          access: {
            awsAccountId: AUTHORITY_ACCOUNT,
            rolesAnywhere: { certificateAuthority: CA, subjectOrganization: 'Stadt Bruchsal' },
          },
        }
      : a,
  ),
};
const officesOf = (provider: string) =>
  directory.serviceOffices.filter((o) => o.providerId === provider).map((o) => o.id);

let s: Synthesised;
let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'rex-onboarding-'));
  const file = join(folder, 'directory.json');
  writeFileSync(file, JSON.stringify(directory, null, 2));
  s = synthesise({ directoryFile: file });
});
afterAll(() => {
  rmSync(s.outdir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
});

const props = (r: CfnResource) => r.Properties ?? {};
type TrustStatement = {
  Sid?: string;
  Principal: { AWS?: unknown; Service?: unknown };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};
const roleNamed = (name: string) => {
  const found = resourcesOfType(s.json, 'AWS::IAM::Role').find(([, r]) => props(r).RoleName === name);
  if (!found) throw new Error(`role ${name} is not in the template`);
  return found;
};
const trustOf = (name: string) =>
  (props(roleNamed(name)[1]).AssumeRolePolicyDocument as { Statement: TrustStatement[] }).Statement;
const anchorOf = (organisation: string) =>
  referencedId(s.stack.resolve(s.stack.principals.trustAnchors.get(organisation)!.attrTrustAnchorArn));

describe('IAM Roles Anywhere with the organisation’s CA', () => {
  it('creates a trust anchor from the CA of each organisation that configures one, and a profile for its one role', () => {
    const anchors = resourcesOfType(s.json, 'AWS::RolesAnywhere::TrustAnchor');
    expect(anchors).toHaveLength(2);
    for (const [, a] of anchors) {
      expect(props(a).Enabled).toBe(true);
      expect(props(a).Source).toEqual({
        SourceType: 'CERTIFICATE_BUNDLE',
        SourceData: { X509CertificateData: CA.trim() },
      });
    }
    const profiles = resourcesOfType(s.json, 'AWS::RolesAnywhere::Profile').map(([, p]) => props(p));
    expect(profiles).toHaveLength(2);
    const roleOfProfile = (name: string) => profiles.find((p) => p.Name === name)!.RoleArns as unknown[];
    expect((roleOfProfile(`rex-${STAGE}-${CARITAS}`) as unknown[]).map(referencedId)).toEqual([
      roleNamed(`rex-${STAGE}-offices-${CARITAS}`)[0],
    ]);
    expect((roleOfProfile(`rex-${STAGE}-${AUTHORITY}`) as unknown[]).map(referencedId)).toEqual([
      roleNamed(`rex-${STAGE}-authority-${AUTHORITY}`)[0],
    ]);
    for (const p of profiles) expect(p.AcceptRoleSessionName).toBe(true);
  });

  it("trusts Roles Anywhere only through the organisation's anchor, for its subject O and its own units as CN", () => {
    const [st, ...rest] = trustOf(`rex-${STAGE}-offices-${CARITAS}`);
    expect(rest).toHaveLength(0);
    expect(st!.Principal.Service).toBe('rolesanywhere.amazonaws.com');
    expect(asArray(st!.Action).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
    expect(referencedId(st!.Condition!.ArnEquals!['aws:SourceArn'])).toBe(anchorOf(CARITAS));
    const eq = st!.Condition!.StringEquals!;
    expect(eq['aws:PrincipalTag/x509Subject/O']).toBe('Caritasverband Bruchsal e.V.');
    expect(asArray(eq['aws:PrincipalTag/x509Subject/CN'] as string[]).sort()).toEqual(
      officesOf(CARITAS).sort(),
    );
    // The session is named after the certificate's CN: its ARN names the office.
    expect(eq['sts:RoleSessionName']).toBe(`\${aws:PrincipalTag/x509Subject/CN}`);

    const authority = trustOf(`rex-${STAGE}-authority-${AUTHORITY}`).find(
      (t) => t.Principal.Service === 'rolesanywhere.amazonaws.com',
    )!;
    expect(referencedId(authority.Condition!.ArnEquals!['aws:SourceArn'])).toBe(anchorOf(AUTHORITY));
    expect(authority.Condition!.StringEquals!['aws:PrincipalTag/x509Subject/CN']).toEqual([AUTHORITY]);
    expect(authority.Condition!.StringEquals!['aws:PrincipalTag/x509Subject/O']).toBe('Stadt Bruchsal');
  });

  it('never lets one anchor speak for a unit of another organisation (both use the same CA here)', () => {
    const unitsOf = new Map<string, string[]>([
      [anchorOf(CARITAS)!, officesOf(CARITAS)],
      [anchorOf(AUTHORITY)!, [AUTHORITY]],
    ]);
    let seen = 0;
    for (const [, role] of resourcesOfType(s.json, 'AWS::IAM::Role')) {
      for (const st of (props(role).AssumeRolePolicyDocument as { Statement: TrustStatement[] }).Statement) {
        if (st.Principal.Service !== 'rolesanywhere.amazonaws.com') continue;
        seen++;
        const anchor = referencedId(st.Condition?.ArnEquals?.['aws:SourceArn']);
        expect(anchor).toBeDefined();
        const cn = asArray(st.Condition!.StringEquals!['aws:PrincipalTag/x509Subject/CN'] as string[]);
        expect(cn.length).toBeGreaterThan(0);
        for (const unit of cn) expect(unitsOf.get(anchor!), unit).toContain(unit);
        expect(st.Condition!.StringEquals!['aws:PrincipalTag/x509Subject/O']).toEqual(expect.any(String));
      }
    }
    expect(seen).toBe(2);
  });

  it("limits a provider's offices' role to that provider's queues, by the session's office tag or certificate CN", () => {
    const [roleId] = roleNamed(`rex-${STAGE}-offices-${CARITAS}`);
    const sqs = permissionStatements(s.json).filter(
      (x) => x.roles.includes(roleId) && asArray(x.statement.Action).some((a) => a.startsWith('sqs:')),
    );
    expect(sqs.length).toBe(4);
    const byTag = new Set<string>();
    for (const { statement } of sqs) {
      const eq = (statement.Condition as { StringEquals: Record<string, string> }).StringEquals;
      expect(eq['aws:ResourceTag/rex-provider']).toBe(CARITAS);
      expect(eq['aws:ResourceTag/rex-stage']).toBe(STAGE);
      byTag.add(eq['aws:ResourceTag/rex-office']!);
    }
    expect([...byTag].sort()).toEqual([
      `\${aws:PrincipalTag/rex-office}`,
      `\${aws:PrincipalTag/x509Subject/CN}`,
    ]);
    // One key statement: bound to SQS and the stage's office queues (integrity.test.ts).
    const keys = permissionStatements(s.json).filter(
      (x) => x.roles.includes(roleId) && asArray(x.statement.Action).some((a) => a.startsWith('kms:')),
    );
    expect(keys).toHaveLength(1);
  });
});

describe("an organisation's own AWS account", () => {
  it("lets the provider's account assume its offices' role only with one of its offices as tag and session name", () => {
    const [st, ...rest] = trustOf(`rex-${STAGE}-offices-${IB}`);
    expect(rest).toHaveLength(0);
    expect(JSON.stringify(st!.Principal.AWS)).toContain(`:iam::${IB_ACCOUNT}:root`);
    const eq = st!.Condition!.StringEquals!;
    expect(asArray(eq['aws:PrincipalTag/rex-office'] as string[]).sort()).toEqual(officesOf(IB).sort());
    expect(eq['aws:RequestTag/rex-office']).toBe(`\${aws:PrincipalTag/rex-office}`);
    expect(eq['sts:RoleSessionName']).toBe(`\${aws:PrincipalTag/rex-office}`);
    expect(st!.Condition!['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': ['rex-office'] });
    expect(st!.Condition!.Null).toEqual({ 'aws:PrincipalTag/x509Subject/CN': 'true' });
    // The shared offices' role trusts this account only.
    for (const t of trustOf(`rex-${STAGE}-offices`))
      expect(JSON.stringify(t.Principal)).not.toContain(IB_ACCOUNT);
  });

  it('lets exactly the listed roles of those accounts invoke the methods of their kind, by the API resource policy', () => {
    const [[, api]] = resourcesOfType(s.json, 'AWS::ApiGateway::RestApi') as [[string, CfnResource]];
    const policy = props(api).Policy as {
      Statement: { Principal: { AWS: unknown }; Action: string; Resource: string[]; Effect: string }[];
    };
    const byKind = (kind: 'authority' | 'service') =>
      operations
        .filter((op) => op.auth !== 'public' && op.auth.includes(kind))
        .map((op) => `execute-api:/api/${op.method}${op.path.replace(/\{[^}]+\}/g, '*')}`)
        .sort();
    const principalsOf = (st: (typeof policy.Statement)[number]) =>
      asArray(st.Principal.AWS as string[]).sort();
    expect(policy.Statement).toHaveLength(2);
    const authority = policy.Statement.find((st) => principalsOf(st)[0]!.includes(AUTHORITY_ACCOUNT))!;
    expect(principalsOf(authority)).toEqual([`arn:aws:iam::${AUTHORITY_ACCOUNT}:role/case-system`]);
    expect([...authority.Resource].sort()).toEqual(byKind('authority'));
    const offices = policy.Statement.find((st) => principalsOf(st)[0]!.includes(IB_ACCOUNT))!;
    expect(principalsOf(offices)).toEqual(
      officesOf(IB)
        .map((id) => `arn:aws:iam::${IB_ACCOUNT}:role/rex-client-${id}`)
        .sort(),
    );
    expect([...offices.Resource].sort()).toEqual(byKind('service'));
    for (const st of policy.Statement) {
      expect(st.Effect).toBe('Allow');
      expect(st.Action).toBe('execute-api:Invoke');
    }
  });

  it("lets each office's own role consume its two queues, by a queue policy of their own, and no other queue", () => {
    const policies = resourcesOfType(s.json, 'AWS::SQS::QueuePolicy').map(([, p]) => props(p));
    for (const office of directory.serviceOffices) {
      const def = officeQueue(STAGE, office);
      const ids = [def.name, def.deadLetter.name].map(
        (name) => resourcesOfType(s.json, 'AWS::SQS::Queue').find(([, q]) => props(q).QueueName === name)![0],
      );
      const holding = policies.filter((p) =>
        (p.Queues as unknown[]).some((q) => ids.includes(referencedId(q)!)),
      );
      expect(holding, office.id).toHaveLength(1);
      const statements = (
        holding[0]!.PolicyDocument as { Statement: { Effect: string; Principal: unknown }[] }
      ).Statement;
      const allows = statements.filter((st) => st.Effect === 'Allow');
      if (office.providerId !== IB) {
        expect(allows, office.id).toHaveLength(0);
        continue;
      }
      expect((holding[0]!.Queues as unknown[]).map(referencedId).sort(), office.id).toEqual([...ids].sort());
      for (const st of allows)
        expect(JSON.stringify(st.Principal)).toBe(
          JSON.stringify({ AWS: `arn:aws:iam::${IB_ACCOUNT}:role/rex-client-${office.id}` }),
        );
      expect(
        statements.some((st) => st.Effect === 'Deny'),
        'TLS only',
      ).toBe(true);
    }
  });

  it("lets each office's own role decrypt through SQS for its own two queues only, by the key policy", () => {
    const keyId = referencedId(s.stack.resolve(s.stack.data.key.keyArn))!;
    const statements = (
      props(s.json.Resources[keyId]!).KeyPolicy as {
        Statement: {
          Principal: { AWS?: unknown };
          Action: string[];
          Condition?: Record<string, Record<string, unknown>>;
        }[];
      }
    ).Statement.filter((st) => JSON.stringify(st.Principal.AWS ?? '').includes(IB_ACCOUNT));
    expect(statements).toHaveLength(officesOf(IB).length);
    for (const st of statements) {
      const office = officesOf(IB).find((id) =>
        JSON.stringify(st.Principal.AWS).endsWith(`rex-client-${id}"`),
      )!;
      const def = officeQueue(STAGE, directory.serviceOffices.find((o) => o.id === office)!);
      expect([...st.Action].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(JSON.stringify(st.Condition!.StringEquals!['kms:ViaService'])).toContain('sqs.');
      const context = JSON.stringify(st.Condition!.StringEquals!['kms:EncryptionContext:aws:sqs:arn']);
      expect(context).toContain(`:${def.name}`);
      expect(context).toContain(`:${def.deadLetter.name}`);
      expect((st.Condition!.StringEquals!['kms:EncryptionContext:aws:sqs:arn'] as unknown[]).length).toBe(2);
    }
  });
});

describe('the template with every onboarding path', () => {
  it("keeps every role's trust policy within IAM's default 2,048 characters and its inline policy within 10,240", () => {
    // A reference stands for the ARN it becomes (at most ~100 characters here).
    const sized = (doc: unknown) =>
      JSON.stringify(doc, (_key, value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        ('Fn::GetAtt' in value || 'Ref' in value || 'Fn::Join' in value)
          ? 'x'.repeat(100)
          : value,
      ).length;
    for (const [id, role] of resourcesOfType(s.json, 'AWS::IAM::Role')) {
      expect(sized(props(role).AssumeRolePolicyDocument), id).toBeLessThanOrEqual(2048);
      const inline = ((props(role).Policies ?? []) as { PolicyDocument: unknown }[]).reduce(
        (n, p) => n + sized(p.PolicyDocument),
        0,
      );
      expect(inline, id).toBeLessThanOrEqual(10_240);
    }
  });

  it('reports no unacknowledged cdk-nag finding', () => {
    expect(s.violations.map((v) => `${v.rule} at ${v.paths.join(', ')}`)).toEqual([]);
    expect(s.synthError).toBeUndefined();
  });

  it('names the trust anchors, the profiles and the offices’ roles in its outputs', () => {
    const outputs = Object.keys(s.json.Outputs ?? {});
    for (const org of [CARITAS, AUTHORITY]) {
      const id = org.replace(/-/g, '');
      expect(
        outputs.some((o) => o.startsWith(`TrustAnchorArn${id}`)),
        org,
      ).toBe(true);
      expect(
        outputs.some((o) => o.startsWith(`ProfileArn${id}`)),
        org,
      ).toBe(true);
    }
    expect(outputs.some((o) => o.startsWith(`RoleArnoffices${CARITAS.replace(/-/g, '')}`))).toBe(true);
    expect(outputs.some((o) => o.startsWith(`RoleArnoffices${IB.replace(/-/g, '')}`))).toBe(true);
  });
});
