import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface MailSendingProps {
  /** The sender address (`deployment.notifications.from`). */
  readonly from: string;
  /** The verified SES identity, a domain or an address (`sesIdentityOf`). */
  readonly sesIdentity: string;
}

/**
 * Sending the offices' notifications with Amazon SES (docs/notifications.md). The SES
 * identity is verified by the operator once per account and region (docs/deploy.md),
 * not created here: several stages of a deployment share it, and its DKIM records live
 * in DNS, outside the stack. This construct owns the permission to use it.
 */
export class MailSending extends Construct {
  readonly from: string;
  /** `arn:aws:ses:<region>:<account>:identity/<identity>`. */
  readonly identityArn: string;

  constructor(scope: Construct, id: string, props: MailSendingProps) {
    super(scope, id);
    this.from = props.from;
    this.identityArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'identity',
      resourceName: props.sesIdentity,
    });
  }

  /** ses:SendEmail through the identity only, and only with the deployment's sender as From. */
  grantSend(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail'],
      resourceArns: [this.identityArn],
      conditions: { StringEquals: { 'ses:FromAddress': this.from } },
    });
  }
}
