import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ssm = mockClient(SSMClient);
const REFERENCE = '/aws/reference/secretsmanager/rex-unit-pseudonym-secret';
/** What the CDK stack's generated secret looks like: 64 characters of 0-9 and a-f. */
const GENERATED = 'f3a9c0de1b7245e68d0c9a1b2e3f4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e';

/** The module keeps the secret for the life of the process: load a fresh copy per test. */
async function freshModule() {
  vi.resetModules();
  return import('#shared/adapters/secrets.ts');
}

beforeEach(() => ssm.reset());
afterEach(() => ssm.reset());

describe('pseudonymSecret', () => {
  it('reads the generated Secrets Manager secret through its Parameter Store reference, with decryption', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: REFERENCE, Value: GENERATED } });
    const { pseudonymSecret } = await freshModule();
    const secret = await pseudonymSecret({ REX_PSEUDONYM_SECRET_PARAMETER: REFERENCE });
    expect(Buffer.from(secret).toString('hex')).toBe(GENERATED);
    expect(secret).toHaveLength(32);
    const calls = ssm.commandCalls(GetParameterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ Name: REFERENCE, WithDecryption: true });
  });

  it('reads it once per process (cold start), however often it is asked for', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: GENERATED } });
    const { pseudonymSecret } = await freshModule();
    const env = { REX_PSEUDONYM_SECRET_PARAMETER: REFERENCE };
    await Promise.all([pseudonymSecret(env), pseudonymSecret(env)]);
    await pseudonymSecret(env);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('tries again on the next call after a failed read', async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({
        Parameter: { Value: GENERATED },
      });
    const { pseudonymSecret } = await freshModule();
    const env = { REX_PSEUDONYM_SECRET_PARAMETER: REFERENCE };
    await expect(pseudonymSecret(env)).rejects.toThrow('ThrottlingException');
    expect(Buffer.from(await pseudonymSecret(env)).toString('hex')).toBe(GENERATED);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it.each([
    ['shorter than 32 bytes', GENERATED.slice(0, 62)],
    ['not hexadecimal', `${GENERATED.slice(0, 63)}g`],
    ['empty', ''],
  ])('refuses a secret that is %s, without repeating it', async (_case, value) => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: value } });
    const { pseudonymSecret } = await freshModule();
    const error = await pseudonymSecret({ REX_PSEUDONYM_SECRET_PARAMETER: REFERENCE }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/32 bytes/);
    if (value) expect((error as Error).message).not.toContain(value);
  });

  it('takes the local platform hex value from the environment without calling AWS', async () => {
    const { pseudonymSecret } = await freshModule();
    const secret = await pseudonymSecret({ REX_PSEUDONYM_SECRET: '7e'.repeat(32) });
    expect(Buffer.from(secret).toString('hex')).toBe('7e'.repeat(32));
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });
});
