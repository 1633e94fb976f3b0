import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * The deployment secret behind subject pseudonyms and request fingerprints: at least
 * 32 bytes, written as hexadecimal characters (64 or more).
 *
 * In AWS it is read once per cold start through Parameter Store, from the parameter
 * named by `REX_PSEUDONYM_SECRET_PARAMETER`, with decryption. The CDK stack generates
 * the secret in Secrets Manager (64 hex characters) and names it by Parameter Store's
 * Secrets Manager reference, `/aws/reference/secretsmanager/rex-<stage>-pseudonym-secret`;
 * an operator's own SecureString parameter works the same way. On the local platform
 * the hex value is in `REX_PSEUDONYM_SECRET`, generated at the first start and kept
 * under .local/.
 */
let secret: Promise<Uint8Array> | undefined;

export const MIN_SECRET_BYTES = 32;

export function pseudonymSecret(env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  secret ??= load(env).catch((error: unknown) => {
    secret = undefined;
    throw error;
  });
  return secret;
}

async function load(env: NodeJS.ProcessEnv): Promise<Uint8Array> {
  const parameter = env.REX_PSEUDONYM_SECRET_PARAMETER;
  let hex: string | undefined;
  if (parameter) {
    const client = new SSMClient({});
    try {
      const out = await client.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
      hex = out.Parameter?.Value;
    } finally {
      client.destroy();
    }
  } else {
    hex = env.REX_PSEUDONYM_SECRET;
  }
  if (!hex || !/^[0-9a-f]+$/i.test(hex) || hex.length < MIN_SECRET_BYTES * 2) {
    throw new Error('The pseudonym secret is missing or shorter than 32 bytes (64 hex characters).');
  }
  return Buffer.from(hex, 'hex');
}
