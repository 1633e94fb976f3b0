import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { CheckpointKeyAction } from '#infra/permissions.ts';

export interface AuditSigningProps {
  readonly stage: string;
  /**
   * The key spec. Ed25519 gives C2SP signature type 0x01, like the local platform's
   * key; ECC_NIST_P256 (type 0x02) where Ed25519 KMS keys are not offered.
   * @default kms.KeySpec.ECC_NIST_EDWARDS25519
   */
  readonly keySpec?: kms.KeySpec;
  /**
   * What happens to the key when it leaves the stack.
   * @default RemovalPolicy.RETAIN — its public key verifies every checkpoint ever signed
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * What the account keeps on the checkpoint key: administration and reading its public
 * half, delegated to IAM as usual — but not kms:Sign, which the key policy grants to the
 * sequencer's role by name (`allowSigning`), and not kms:CreateGrant, by which an
 * administrator could grant signing to anyone (no `kms:Create*` either: the key needs no
 * alias or grant). An administrator can disable, tag or schedule the key for deletion,
 * never sign a forged checkpoint with it. kms:PutKeyPolicy stays with the account,
 * because CloudFormation maintains the policy (the sequencer's role is named in it); a
 * changed policy is a CloudTrail event, as every kms:Sign is (docs/audit-format.md).
 */
const ACCOUNT_KEY_ACTIONS = [
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
] as const;

/**
 * The audit log's checkpoint signing key: an asymmetric KMS key (SIGN_VERIFY) whose
 * private half never leaves KMS. The sequencer signs checkpoints with it; the audit API
 * serves its public half (GET /v1/audit/verifier-key) for data-protection officers to pin.
 */
export class AuditSigning extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AuditSigningProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'CheckpointKey', {
      description: `referral-exchange ${props.stage}: signs audit log checkpoints`,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AccountAdministersButDoesNotSign',
            principals: [new iam.AccountRootPrincipal()],
            actions: [...ACCOUNT_KEY_ACTIONS],
            resources: ['*'],
          }),
        ],
      }),
      keySpec: props.keySpec ?? kms.KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** The value of `REX_CHECKPOINT_KMS_KEY_ID`. */
  get keyId(): string {
    return this.key.keyId;
  }

  /**
   * Lets one role sign with the key: a key-policy statement naming it (the account's
   * IAM policies cannot grant kms:Sign on this key). Only the sequencer's role is named.
   */
  allowSigning(role: iam.IRole): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheSequencerSigns',
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['kms:Sign'],
        resources: ['*'],
      }),
    );
  }

  /** The given uses of the checkpoint key: signing (the sequencer), its public half (the audit API). */
  grant(grantee: iam.IGrantable, actions: readonly CheckpointKeyAction[]): iam.Grant {
    if (actions.length === 0) return iam.Grant.drop(grantee, 'use the checkpoint key');
    return iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [this.key.keyArn] });
  }
}
