import { afterEach, describe, expect, it, vi } from 'vitest';

const REFERENCE = '/aws/reference/secretsmanager/rex-unit-pseudonym-secret';
/** What the CDK stack's generated secret looks like: 64 characters of 0-9 and a-f. */
const GENERATED = 'f3a9c0de1b7245e68d0c9a1b2e3f4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e';
/** What Lambda puts in a function's environment, and the parameter's name. */
const ENV = {
  REX_PSEUDONYM_SECRET_PARAMETER: REFERENCE,
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIDUNITTEST',
  AWS_SECRET_ACCESS_KEY: 'unit-secret-access-key',
  AWS_SESSION_TOKEN: 'unit-session-token',
};

interface Call {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Parameter Store without a network: fetch is replaced for the test; answers are taken in turn. */
function parameterStore(...answers: { status: number; body: unknown }[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({
      url,
      headers: init.headers as Record<string, string>,
      body: JSON.parse(String(init.body)),
    });
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
    });
  });
  return calls;
}

/** The module keeps the secret for the life of the process: load a fresh copy per test. */
async function freshModule() {
  vi.resetModules();
  return import('#shared/adapters/secrets.ts');
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('pseudonymSecret', () => {
  it('reads the generated Secrets Manager secret through its Parameter Store reference, with decryption, signed', async () => {
    const calls = parameterStore({ status: 200, body: { Parameter: { Name: REFERENCE, Value: GENERATED } } });
    const { pseudonymSecret } = await freshModule();
    const secret = await pseudonymSecret(ENV);
    expect(Buffer.from(secret).toString('hex')).toBe(GENERATED);
    expect(secret).toHaveLength(32);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe('https://ssm.eu-central-1.amazonaws.com/');
    expect(call!.body).toEqual({ Name: REFERENCE, WithDecryption: true });
    expect(call!.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(call!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(call!.headers['x-amz-security-token']).toBe('unit-session-token');
    expect(call!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDUNITTEST\/\d{8}\/eu-central-1\/ssm\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/,
    );
  });

  it('sends the read to the endpoint the environment names', async () => {
    const calls = parameterStore({ status: 200, body: { Parameter: { Value: GENERATED } } });
    const { pseudonymSecret } = await freshModule();
    await pseudonymSecret({ ...ENV, AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:4566/' });
    expect(calls[0]!.url).toBe('http://127.0.0.1:4566/');
  });

  it('reads it once per process (cold start), however often it is asked for', async () => {
    const calls = parameterStore({ status: 200, body: { Parameter: { Value: GENERATED } } });
    const { pseudonymSecret } = await freshModule();
    await Promise.all([pseudonymSecret(ENV), pseudonymSecret(ENV)]);
    await pseudonymSecret(ENV);
    expect(calls).toHaveLength(1);
  });

  it('tries again on the next call after a failed read, naming status and error type only', async () => {
    const calls = parameterStore(
      { status: 400, body: { __type: 'com.amazonaws.ssm#ThrottlingException', message: 'Rate exceeded' } },
      { status: 200, body: { Parameter: { Value: GENERATED } } },
    );
    const { pseudonymSecret, ParameterNotRead } = await freshModule();
    const error = await pseudonymSecret(ENV).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParameterNotRead);
    expect((error as Error).message).toBe(
      'Parameter Store did not return the pseudonym secret: HTTP 400 ThrottlingException',
    );
    expect(Buffer.from(await pseudonymSecret(ENV)).toString('hex')).toBe(GENERATED);
    expect(calls).toHaveLength(2);
  });

  it('refuses to read without credentials in the environment, without calling AWS', async () => {
    const calls = parameterStore({ status: 200, body: { Parameter: { Value: GENERATED } } });
    const { pseudonymSecret } = await freshModule();
    const { AWS_ACCESS_KEY_ID: _id, ...withoutKey } = ENV;
    await expect(pseudonymSecret(withoutKey)).rejects.toThrow(/credentials/);
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['shorter than 32 bytes', GENERATED.slice(0, 62)],
    ['not hexadecimal', `${GENERATED.slice(0, 63)}g`],
    ['empty', ''],
  ])('refuses a secret that is %s, without repeating it', async (_case, value) => {
    parameterStore({ status: 200, body: { Parameter: { Value: value } } });
    const { pseudonymSecret } = await freshModule();
    const error = await pseudonymSecret(ENV).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/32 bytes/);
    if (value) expect((error as Error).message).not.toContain(value);
  });

  it('takes the local platform hex value from the environment without calling AWS', async () => {
    const calls = parameterStore({ status: 200, body: { Parameter: { Value: GENERATED } } });
    const { pseudonymSecret } = await freshModule();
    const secret = await pseudonymSecret({ REX_PSEUDONYM_SECRET: '7e'.repeat(32) });
    expect(Buffer.from(secret).toString('hex')).toBe('7e'.repeat(32));
    expect(calls).toHaveLength(0);
  });
});
