import { Arn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { viaService } from './data.ts';

/** Parameter Store's path to Secrets Manager secrets (GetParameter with decryption). */
export const SECRETS_MANAGER_REFERENCE = '/aws/reference/secretsmanager/';

export interface PseudonymSecretProps {
  /** Deployment stage: the secret is named `rex-<stage>-pseudonym-secret`. */
  readonly stage: string;
  /** The customer-managed key that encrypts the secret (the tables' key). */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the secret when it leaves the stack.
   * @default RemovalPolicy.RETAIN — every subject id in tables and audit log is derived from it
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The deployment secret behind subject pseudonyms (HMAC-SHA-256) and request
 * fingerprints: a Secrets Manager secret that CloudFormation generates at the first
 * deployment — 64 lower-case hexadecimal characters, i.e. 32 random bytes, the format
 * `shared/adapters/secrets.ts` reads. CloudFormation cannot create an SSM SecureString,
 * so the functions read this secret through Parameter Store's Secrets Manager
 * reference (`/aws/reference/secretsmanager/<name>`) with the SSM client they already
 * bundle, once per cold start.
 *
 * It is never rotated: a new value would give every person a new subject id, cutting
 * them off from their consents, referrals and audit entries.
 */
export class PseudonymSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly secretName: string;
  readonly #key: kms.IKey;

  constructor(scope: Construct, id: string, props: PseudonymSecretProps) {
    super(scope, id);
    this.secretName = `rex-${props.stage}-pseudonym-secret`;
    this.#key = props.encryptionKey;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: this.secretName,
      description: `referral-exchange ${props.stage}: key of subject pseudonyms (never rotate)`,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      generateSecretString: {
        passwordLength: 64,
        // Only 0-9 and a-f remain: 64 hexadecimal characters = 32 random bytes.
        excludeUppercase: true,
        excludePunctuation: true,
        includeSpace: false,
        excludeCharacters: 'ghijklmnopqrstuvwxyz',
      },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Key material of the subject pseudonyms, not a credential: a rotated value would give every person a new subject id.',
    });
  }

  /** The value of `REX_PSEUDONYM_SECRET_PARAMETER`: the secret as Parameter Store names it. */
  get parameterName(): string {
    return `${SECRETS_MANAGER_REFERENCE}${this.secretName}`;
  }

  /**
   * Read the secret through Parameter Store: GetParameter on the reference, which
   * Secrets Manager authorises as GetSecretValue on the secret, decrypted with the key.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:GetParameter'],
      resourceArns: [
        Arn.format(
          { service: 'ssm', resource: 'parameter', resourceName: this.parameterName.slice(1) },
          stack,
        ),
      ],
    })
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['secretsmanager:GetSecretValue'],
          resourceArns: [this.secret.secretArn],
        }),
      )
      .combine(
        // Secrets Manager decrypts on the reader's behalf; the key is never used directly.
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['kms:Decrypt'],
          resourceArns: [this.#key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': viaService('secretsmanager', stack) } },
        }),
      );
  }
}
