import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SAML_EMAIL_ATTRIBUTE, SignIn } from '#infra/constructs/sign-in.ts';
import { identityProvidersOf, parseDirectory } from '#shared/domain/directory/index.ts';
import { SIGN_IN_LIFETIMES } from '#shared/http/people.ts';
import { directory, readViolations } from './synth.ts';

/**
 * The user pool people sign in with (docs/sign-in.md): the construct on its own, with
 * the example directory and with one whose units bring their own identity providers,
 * each checked by cdk-nag as the stack is.
 */

/** A template resource; its properties are read as the template has them. */
interface Resource {
  readonly Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: template properties are checked by value in each test
  readonly Properties: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly DependsOn?: string[];
}

const PAGES_URL = 'https://abc123.execute-api.eu-central-1.amazonaws.com/api';
const SECRET_NAME = 'rex/test/caritas-entra';

/** The example directory with an OIDC provider on two offices of one organisation and a SAML one on an authority. */
function federatedDirectory() {
  const d = structuredClone(directory) as unknown as Record<string, Record<string, unknown>[]>;
  const entra = {
    type: 'oidc',
    name: 'caritas-entra',
    issuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
    clientId: '11111111-1111-1111-1111-111111111111',
    clientSecretName: SECRET_NAME,
  };
  d.serviceOffices![0]!.identityProvider = entra;
  d.serviceOffices![1]!.identityProvider = { ...entra };
  d.authorities![0]!.identityProvider = {
    type: 'saml',
    name: 'abh-adfs',
    metadataUrl: 'https://adfs.example/FederationMetadata/2007-06/FederationMetadata.xml',
  };
  return parseDirectory(d);
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function build(identityProviders = identityProvidersOf(directory)) {
  const outdir = mkdtempSync(join(tmpdir(), 'rex-sign-in-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'SignInTest', { env: { region: 'eu-central-1' } });
  const signIn = new SignIn(stack, 'SignIn', {
    stage: 'test',
    pagesUrl: PAGES_URL,
    domainPrefix: 'rex-lk-karlsruhe-test',
    deploymentName: directory.deployment.name,
    identityProviders,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, Resource> };
  const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
  /** The one resource of a type, with its logical id. */
  const only = (type: string): [string, Resource] => {
    const found = ofType(type);
    if (found.length !== 1) throw new Error(`${found.length} resources of type ${type}`);
    return found[0]!;
  };
  return { signIn, template, json, ofType, only, synthError, violations: readViolations(outdir) };
}

describe('the user pool', () => {
  const built = build();
  const [, pool] = built.only('AWS::Cognito::UserPool');
  const p = pool.Properties;

  it('requires MFA with TOTP, offers passkeys that verify the person, and has no self sign-up', () => {
    expect(p.MfaConfiguration).toBe('ON');
    expect(p.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(p.Policies.SignInPolicy.AllowedFirstAuthFactors).toEqual(['PASSWORD', 'WEB_AUTHN']);
    expect(p.WebAuthnUserVerification).toBe('required');
    expect(p.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(p.UsernameAttributes).toEqual(['email']);
    expect(p.UsernameConfiguration).toEqual({ CaseSensitive: false });
    expect(p.UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: ['email'] });
  });

  it('has the password policy of docs/sign-in.md (BSI: long, four classes, no reuse) and threat protection', () => {
    expect(p.Policies.PasswordPolicy).toEqual({
      MinimumLength: 12,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      PasswordHistorySize: 5,
      TemporaryPasswordValidityDays: 7,
    });
    expect(p.UserPoolTier).toBe('PLUS');
    expect(p.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
    expect(p.AccountRecoverySetting).toEqual({
      RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }],
    });
  });

  it('is kept: deletion protection, retained with the stack', () => {
    expect(p.DeletionProtection).toBe('ACTIVE');
    expect(pool.DeletionPolicy).toBe('Retain');
  });

  it('invites people in German first, English second, with the user name and a temporary password', () => {
    const invite = p.AdminCreateUserConfig.InviteMessageTemplate;
    const body = invite.EmailMessage as string;
    expect(body).toContain('{username}');
    expect(body).toContain('{####}');
    expect(body.indexOf('Vorläufiges Passwort')).toBeLessThan(body.indexOf('Temporary password'));
    expect(invite.EmailSubject).toMatch(/^Ihr Zugang/);
  });

  it('signs in on managed login (the version with passkeys) at its own domain', () => {
    const [, domain] = built.only('AWS::Cognito::UserPoolDomain');
    expect(domain.Properties.Domain).toBe('rex-lk-karlsruhe-test');
    expect(domain.Properties.ManagedLoginVersion).toBe(2);
    const [, branding] = built.only('AWS::Cognito::ManagedLoginBranding');
    expect(branding.Properties.UseCognitoProvidedValues).toBe(true);
    const [clientId] = built.only('AWS::Cognito::UserPoolClient');
    expect(branding.Properties.ClientId).toEqual({ Ref: clientId });
  });

  it('creates no IAM role or policy (no SMS role: MFA is TOTP)', () => {
    expect(Object.values(built.json.Resources).filter((r) => r.Type.startsWith('AWS::IAM::'))).toEqual([]);
  });

  it('reports no unacknowledged AwsSolutions or Serverless finding', () => {
    expect(built.violations.map((v) => `${v.rule} at ${v.paths.join(', ')}`)).toEqual([]);
    expect(built.synthError).toBeUndefined();
  });

  it('refuses a domain prefix Cognito would refuse', () => {
    const stack = new Stack(new App(), 'Bad');
    for (const domainPrefix of ['Rex-Upper', 'rex-aws-test', `rex-${'x'.repeat(70)}`, '-rex'])
      expect(
        () =>
          new SignIn(stack, `S-${domainPrefix.length}-${domainPrefix[1]}`, {
            stage: 't',
            pagesUrl: PAGES_URL,
            domainPrefix,
            deploymentName: 'x',
          }),
        domainPrefix,
      ).toThrow(/domain prefix/);
    expect(SignIn.defaultDomainPrefix('lk-karlsruhe', 'prod')).toBe('rex-lk-karlsruhe-prod');
    expect(SignIn.defaultDomainPrefix('a'.repeat(48), 'stage-sixteen-ch').length).toBeLessThanOrEqual(63);
  });
});

describe('the web client', () => {
  const built = build();
  const [, client] = built.only('AWS::Cognito::UserPoolClient');
  const c = client.Properties;

  it('is public and takes the authorization code with PKCE only', () => {
    expect(c.GenerateSecret).toBe(false);
    expect(c.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(c.AllowedOAuthFlows).toEqual(['code']);
    expect(c.AllowedOAuthScopes).toEqual(['openid', 'email']);
    // Choice-based sign-in for managed login; no password, SRP or custom flows of its own.
    expect(c.ExplicitAuthFlows).toEqual(['ALLOW_USER_AUTH']);
    expect(c.SupportedIdentityProviders).toEqual(['COGNITO']);
  });

  it('redirects to and signs out at the pages the API serves', () => {
    const pages = [`${PAGES_URL}/dpo`, `${PAGES_URL}/office`, `${PAGES_URL}/authority`];
    expect(c.CallbackURLs).toEqual(pages);
    expect(c.LogoutURLs).toEqual(pages);
  });

  it('issues 15-minute ID and access tokens and a working day of refresh tokens, rotating and revocable', () => {
    expect(c.TokenValidityUnits).toEqual({
      IdToken: 'minutes',
      AccessToken: 'minutes',
      RefreshToken: 'minutes',
    });
    expect(c.IdTokenValidity).toBe(SIGN_IN_LIFETIMES.idTokenSeconds / 60);
    expect(c.IdTokenValidity).toBe(15);
    expect(c.AccessTokenValidity).toBe(15);
    expect(c.RefreshTokenValidity).toBe(8 * 60);
    expect(c.RefreshTokenRotation).toEqual({ Feature: 'ENABLED', RetryGracePeriodSeconds: 10 });
    expect(c.EnableTokenRevocation).toBe(true);
    expect(c.PreventUserExistenceErrors).toBe('ENABLED');
  });
});

describe('federation of an organisation’s own identity provider', () => {
  const federated = federatedDirectory();
  const built = build(identityProvidersOf(federated));
  const providers = built.ofType('AWS::Cognito::UserPoolIdentityProvider');
  const byName = (name: string) => providers.find(([, r]) => r.Properties.ProviderName === name);

  it('creates one provider per named identity provider, however many units share it', () => {
    expect(providers.map(([, r]) => r.Properties.ProviderName).sort()).toEqual(['abh-adfs', 'caritas-entra']);
  });

  it('takes an OIDC client secret from Secrets Manager by name, never from the directory', () => {
    const [, oidc] = byName('caritas-entra')!;
    expect(oidc.Properties.ProviderType).toBe('OIDC');
    expect(oidc.Properties.ProviderDetails).toMatchObject({
      client_id: '11111111-1111-1111-1111-111111111111',
      oidc_issuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
      authorize_scopes: 'openid email',
      attributes_request_method: 'GET',
    });
    expect(oidc.Properties.ProviderDetails.client_secret).toBe(
      `{{resolve:secretsmanager:${SECRET_NAME}:SecretString:::}}`,
    );
    expect(oidc.Properties.AttributeMapping).toEqual({ email: 'email' });
  });

  it('reads SAML metadata from the URL and maps the e-mail claim', () => {
    const [, saml] = byName('abh-adfs')!;
    expect(saml.Properties.ProviderType).toBe('SAML');
    expect(saml.Properties.ProviderDetails.MetadataURL).toBe(
      'https://adfs.example/FederationMetadata/2007-06/FederationMetadata.xml',
    );
    expect(saml.Properties.AttributeMapping).toEqual({ email: DEFAULT_SAML_EMAIL_ATTRIBUTE });
  });

  it('offers the providers on the web client, created after them', () => {
    const [, client] = built.only('AWS::Cognito::UserPoolClient');
    expect(client.Properties.SupportedIdentityProviders).toEqual(['COGNITO', 'abh-adfs', 'caritas-entra']);
    expect([...(client.DependsOn ?? [])].sort()).toEqual(providers.map(([id]) => id).sort());
  });

  it('stays clean for cdk-nag', () => {
    expect(built.violations.map((v) => `${v.rule} at ${v.paths.join(', ')}`)).toEqual([]);
    expect(built.synthError).toBeUndefined();
  });
});
