import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { IdentityProvider } from '#shared/domain/directory/index.ts';
import { SIGN_IN_LIFETIMES, SIGN_IN_PAGES } from '#shared/http/people.ts';
import { userPoolName } from '#shared/resources.ts';

/** The SAML attribute that carries the e-mail address unless a provider names another (WS-Federation). */
export const DEFAULT_SAML_EMAIL_ATTRIBUTE =
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

/** The OAuth scopes requested from an OIDC provider unless it names others. */
export const DEFAULT_OIDC_SCOPES = ['openid', 'email'] as const;

export interface SignInProps {
  /** Deployment stage (part of the user pool's name). */
  readonly stage: string;
  /**
   * The base URL the API serves its pages under, without a trailing slash, e.g.
   * `https://<id>.execute-api.<region>.amazonaws.com/api` or a custom domain's. The web
   * client's redirect and sign-out URLs are its pages (`SIGN_IN_PAGES`).
   */
  readonly pagesUrl: string;
  /**
   * Prefix of the managed login domain, `https://<prefix>.auth.<region>.amazoncognito.com`:
   * lower-case letters, digits and hyphens, at most 63, unique in the region across AWS.
   */
  readonly domainPrefix: string;
  /** What the invitation e-mail calls the exchange, e.g. the district's name. */
  readonly deploymentName: string;
  /**
   * The identity providers of organisation units that bring their own (the directory's
   * `identityProvider` entries), federated into the pool.
   * @default none
   */
  readonly identityProviders?: readonly IdentityProvider[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly deletionProtection?: boolean;
}

/**
 * Sign-in for people (docs/sign-in.md): a Cognito user pool with managed login, MFA
 * required, no self sign-up (the operator creates accounts from the directory:
 * `npm run people -- sync`), the organisation units' own identity providers federated
 * into it, and one public web client (authorization code with PKCE, no secret) for the
 * pages the API serves. The API's people's tree accepts the pool's ID tokens
 * (`Api.acceptPeople`); who a person is, and may do, the directory decides per request.
 */
export class SignIn extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  /** The federated providers, by their name in the pool. */
  readonly identityProviders: ReadonlyMap<string, cognito.IUserPoolIdentityProvider>;

  constructor(scope: Construct, id: string, props: SignInProps) {
    super(scope, id);
    if (
      !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(props.domainPrefix) ||
      /aws|amazon|cognito/.test(props.domainPrefix)
    ) {
      throw new Error(
        `The sign-in domain prefix "${props.domainPrefix}" is not valid: lower-case letters, digits and hyphens, at most 63, without "aws", "amazon" or "cognito" (context signInDomainPrefix).`,
      );
    }

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: userPoolName(props.stage),
      // Accounts come from the directory only (the operator's sync), never from a form.
      selfSignUpEnabled: false,
      userInvitation: {
        emailSubject: `Ihr Zugang: ${props.deploymentName} / Your account`,
        emailBody: [
          `Für Sie wurde ein Zugang zum Überweisungsaustausch (${props.deploymentName}) angelegt.`,
          'Benutzername: {username}',
          'Vorläufiges Passwort: {####}',
          'Melden Sie sich auf der Seite Ihrer Organisation an; dabei legen Sie ein eigenes Passwort und einen zweiten Faktor (Authenticator-App) fest. Das vorläufige Passwort gilt 7 Tage.',
          '',
          `An account for the referral exchange (${props.deploymentName}) was created for you.`,
          'User name: {username}',
          'Temporary password: {####}',
          "Sign in on your organisation's page; you will choose your own password and a second factor (an authenticator app). The temporary password is valid for 7 days.",
        ].join('<br>'),
      },
      // The e-mail address is the user name (the directory lists people by it), compared without case.
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // A changed address takes effect only once verified; until then the listed one stays.
      keepOriginal: { email: true },
      // Mutable: a federated provider's e-mail is written again at each sign-in.
      standardAttributes: { email: { required: true, mutable: true } },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false, email: false },
      // Passkeys (WebAuthn) as a first factor beside the password. With MFA required, a
      // passkey signs a person in only when it verified them (PIN, fingerprint):
      // possession and knowledge or inherence, two factors in one.
      signInPolicy: { allowedFirstAuthFactors: { password: true, passkey: true } },
      passkeyUserVerification: cognito.PasskeyUserVerification.REQUIRED,
      // BSI IT-Grundschutz ORP.4 (identity and access management: A8, A22, A23) and the
      // BSI's guidance on passwords: long rather than periodically changed (Cognito
      // forces no change), at least 8 characters from four character classes — here 12 —,
      // no reuse of recent ones, checked against known compromised passwords (threat
      // protection below), and a second factor (MFA above).
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        passwordHistorySize: 5,
        tempPasswordValidity: Duration.days(7),
      },
      // A forgotten password is reset with a code sent to the person's work address; the
      // second factor still guards the next sign-in. A lost second factor needs the operator.
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection, which blocks sign-ins and password changes with
      // credentials known to be compromised and risky sign-ins (FULL_FUNCTION).
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: props.deletionProtection ?? true,
    });

    const providers = new Map<string, cognito.IUserPoolIdentityProvider>();
    for (const idp of props.identityProviders ?? []) {
      const emailMapping = {
        email: cognito.ProviderAttribute.other(
          idp.type === 'saml' ? (idp.emailAttribute ?? DEFAULT_SAML_EMAIL_ATTRIBUTE) : 'email',
        ),
      };
      const provider =
        idp.type === 'oidc'
          ? new cognito.UserPoolIdentityProviderOidc(this, `Idp-${idp.name}`, {
              userPool: this.userPool,
              name: idp.name,
              issuerUrl: idp.issuer,
              clientId: idp.clientId,
              // A dynamic reference, resolved by CloudFormation: the secret is in no template.
              clientSecret: SecretValue.secretsManager(idp.clientSecretName).unsafeUnwrap(),
              scopes: [...(idp.scopes ?? DEFAULT_OIDC_SCOPES)],
              attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
              attributeMapping: emailMapping,
            })
          : new cognito.UserPoolIdentityProviderSaml(this, `Idp-${idp.name}`, {
              userPool: this.userPool,
              name: idp.name,
              metadata: cognito.UserPoolIdentityProviderSamlMetadata.url(idp.metadataUrl),
              attributeMapping: emailMapping,
            });
      providers.set(idp.name, provider);
    }
    this.identityProviders = providers;

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
      // Managed login (not the classic hosted UI): the one that offers passkeys.
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    const pages = SIGN_IN_PAGES.map((page) => `${props.pagesUrl}${page}`);
    this.client = this.userPool.addClient('WebClient', {
      userPoolClientName: 'referral-exchange-web',
      // A browser page: a public client, PKCE instead of a secret.
      generateSecret: false,
      // Choice-based sign-in (password or passkey) for managed login; nothing else:
      // no password or SRP flows an app could drive past the managed login.
      authFlows: { user: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: pages,
        logoutUrls: pages,
      },
      supportedIdentityProviders: [
        cognito.UserPoolClientIdentityProvider.COGNITO,
        ...[...providers.keys()].map((name) => cognito.UserPoolClientIdentityProvider.custom(name)),
      ],
      idTokenValidity: Duration.seconds(SIGN_IN_LIFETIMES.idTokenSeconds),
      accessTokenValidity: Duration.seconds(SIGN_IN_LIFETIMES.idTokenSeconds),
      // A working day: renewals end with it, rotation does not extend it.
      refreshTokenValidity: Duration.seconds(SIGN_IN_LIFETIMES.sessionSeconds),
      refreshTokenRotationGracePeriod: Duration.seconds(10),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({
        email: true,
        emailVerified: true,
      }),
      // Only what a federated provider's attribute mapping writes.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
    });
    for (const provider of providers.values()) this.client.node.addDependency(provider);

    // Managed login shows a client's pages once it has a style: Cognito's own.
    new cognito.CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
  }

  /** The issuer of the pool's tokens, `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  get issuer(): string {
    return `https://${this.userPool.userPoolProviderUrl}`;
  }

  /** The managed login's base URL. */
  get domainUrl(): string {
    return this.domain.baseUrl();
  }

  /** The default domain prefix of a stage: `rex-<deployment>-<stage>`, shortened to 63 characters. */
  static defaultDomainPrefix(deploymentId: string, stage: string): string {
    return `rex-${deploymentId}-${stage}`.slice(0, 63).replace(/-+$/, '');
  }
}
