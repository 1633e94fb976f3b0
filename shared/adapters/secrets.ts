import { type SigningCredentials, signedFetch } from '#shared/sdk/signed-fetch.ts';

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
 *
 * The read is the documented `GetParameter` request (AWS JSON 1.1, `AmazonSSM.GetParameter`)
 * signed with SigV4 (`ssm`) and the function's credentials from its environment (the
 * execution role's, which Lambda sets), not the SSM client of the AWS SDK: one request
 * per cold start does not justify 77 KB of client in every bundle.
 */
let secret: Promise<Uint8Array> | undefined;

export const MIN_SECRET_BYTES = 32;

/** Parameter Store refused or failed the read. Names the status and error type, never the value. */
export class ParameterNotRead extends Error {
  override readonly name = 'ParameterNotRead';
  constructor(
    readonly status: number,
    readonly errorType: string,
  ) {
    super(`Parameter Store did not return the pseudonym secret: HTTP ${status} ${errorType}`);
  }
}

export function pseudonymSecret(env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  secret ??= load(env).catch((error: unknown) => {
    secret = undefined;
    throw error;
  });
  return secret;
}

async function load(env: NodeJS.ProcessEnv): Promise<Uint8Array> {
  const parameter = env.REX_PSEUDONYM_SECRET_PARAMETER;
  const hex = parameter ? await readParameter(parameter, env) : env.REX_PSEUDONYM_SECRET;
  if (!hex || !/^[0-9a-f]+$/i.test(hex) || hex.length < MIN_SECRET_BYTES * 2) {
    throw new Error('The pseudonym secret is missing or shorter than 32 bytes (64 hex characters).');
  }
  return Buffer.from(hex, 'hex');
}

/** The credentials Lambda puts in a function's environment (its execution role's). */
function environmentCredentials(env: NodeJS.ProcessEnv): SigningCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('No AWS credentials in the environment to read the pseudonym secret with.');
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

async function readParameter(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('No AWS region in the environment to read the pseudonym secret from.');
  const endpoint = (
    env.AWS_ENDPOINT_URL_SSM ??
    env.AWS_ENDPOINT_URL ??
    `https://ssm.${region}.amazonaws.com`
  ).replace(/\/$/, '');
  const res = await signedFetch(
    `${endpoint}/`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: JSON.stringify({ Name: name, WithDecryption: true }),
    },
    environmentCredentials(env),
    region,
    'ssm',
  );
  const text = await res.text();
  if (!res.ok) {
    let type = 'unknown';
    try {
      const body = JSON.parse(text) as { __type?: unknown };
      if (typeof body.__type === 'string') type = body.__type.split('#').pop() ?? type;
    } catch {
      // not JSON: the status alone
    }
    throw new ParameterNotRead(res.status, type);
  }
  const out = JSON.parse(text) as { Parameter?: { Value?: unknown } };
  return typeof out.Parameter?.Value === 'string' ? out.Parameter.Value : undefined;
}
