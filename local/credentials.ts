import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { formatPrincipal, OFFICE_SESSION_TAG, type Principal } from '#shared/identity/principal.ts';

/**
 * The local credentials file: access keys mapped to principals, the local stand-in
 * for IAM. The gateway verifies SigV4 signatures against it; clients (tests, `rex`,
 * curl with --aws-sigv4) sign with it. Generated at first start, kept across restarts,
 * readable by the owner only.
 */
export const LocalCredentialSchema = z.strictObject({
  profile: z.string(),
  principal: z.string(),
  accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/),
  secretAccessKey: z.string().min(20),
  /** The IAM identity API Gateway would report for this caller (an assumed role). */
  userArn: z.string(),
  /**
   * The session tags STS would have put on the session (a service office: `rex-office`
   * with its id). The gateway accepts a session of an offices' role only when its
   * session name equals this tag, as the role's trust policy does in AWS.
   */
  sessionTags: z.record(z.string(), z.string()).optional(),
  /**
   * Service offices: their queue, dead-letter queue and the SQS endpoint (for `rex dlq`);
   * authorities: their event queue (for `rex events poll`).
   */
  queueUrl: z.string().optional(),
  deadLetterUrl: z.string().optional(),
  sqsEndpoint: z.string().optional(),
});
export type LocalCredential = z.infer<typeof LocalCredentialSchema>;

export const CredentialsFileSchema = z.strictObject({
  region: z.string(),
  endpoint: z.string().optional(),
  credentials: z.array(LocalCredentialSchema),
});
export type CredentialsFile = z.infer<typeof CredentialsFileSchema>;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function accessKeyId(): string {
  const bytes = randomBytes(16);
  let out = 'AKIALOCAL';
  for (let i = 0; i < 11; i++) out += BASE32[bytes[i]! % 32];
  return out;
}

export function profileName(p: Principal): string {
  return formatPrincipal(p).replace(':', '-');
}

/**
 * Loads the credentials file, adding a credential for every principal that has none
 * yet (a new office in the directory gets one at the next start). Returns the file's
 * content; writes it back only when something was added.
 */
export function ensureCredentials(
  file: string,
  principals: readonly { principal: Principal; roleName: string; sessionName?: string }[],
  options: {
    region: string;
    accountId: string;
    endpoint?: string;
    /** Queue details of a principal (service offices), refreshed at every start. */
    queues?: (
      principal: string,
    ) => Pick<LocalCredential, 'queueUrl' | 'deadLetterUrl' | 'sqsEndpoint'> | undefined;
  },
): CredentialsFile {
  const existing: CredentialsFile = existsSync(file)
    ? CredentialsFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
    : { region: options.region, credentials: [] };
  const have = new Set(existing.credentials.map((c) => c.principal));
  const added: LocalCredential[] = [];
  // The session each principal signs as, refreshed at every start: a file from before
  // the offices shared one role gains the offices' role, session name and tag.
  const sessions = new Map(
    principals.map(({ principal, roleName, sessionName }) => [
      formatPrincipal(principal),
      {
        userArn: `arn:aws:sts::${options.accountId}:assumed-role/${roleName}/${sessionName ?? 'local-session'}`,
        ...(principal.kind === 'service' ? { sessionTags: { [OFFICE_SESSION_TAG]: principal.id } } : {}),
      },
    ]),
  );
  for (const { principal } of principals) {
    const name = formatPrincipal(principal);
    if (have.has(name)) continue;
    added.push({
      profile: profileName(principal),
      principal: name,
      accessKeyId: accessKeyId(),
      secretAccessKey: randomBytes(30).toString('base64url'),
      ...sessions.get(name)!,
    });
  }
  const result: CredentialsFile = {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials: [...existing.credentials, ...added].map((c) => ({
      ...c,
      ...sessions.get(c.principal),
      ...options.queues?.(c.principal),
    })),
  };
  if (!existsSync(file) || JSON.stringify(result) !== JSON.stringify(existing)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return result;
}

export const LocalSecretsSchema = z.strictObject({
  /** Hex; the key of subject pseudonyms and request fingerprints (in AWS an SSM SecureString). */
  pseudonymSecret: z.string().regex(/^[0-9a-f]{64,}$/),
  /** PKCS #8 PEM of the Ed25519 key that signs audit checkpoints (in AWS a KMS key). */
  checkpointPrivateKey: z.string().startsWith('-----BEGIN PRIVATE KEY-----'),
});
export type LocalSecrets = z.infer<typeof LocalSecretsSchema>;

/**
 * The deployment secrets of the local platform, generated at the first start and kept
 * (mode 0600): pseudonyms must stay the same across restarts, or a person's earlier
 * consents would no longer match.
 */
export function ensureLocalSecrets(file: string): LocalSecrets {
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  // A file from before checkpoints were signed gains a key; existing secrets are kept.
  if (existing.pseudonymSecret && existing.checkpointPrivateKey) return LocalSecretsSchema.parse(existing);
  const secrets: LocalSecrets = LocalSecretsSchema.parse({
    pseudonymSecret: existing.pseudonymSecret ?? randomBytes(32).toString('hex'),
    checkpointPrivateKey:
      existing.checkpointPrivateKey ??
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}
