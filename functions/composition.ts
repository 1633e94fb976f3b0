import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoAuditStore, SEQUENCE_BUCKET_SIZE } from '#shared/adapters/audit-store.ts';
import { sqsClient } from '#shared/adapters/aws-clients.ts';
import { KmsCheckpointSigner, localCheckpointSigner } from '#shared/adapters/checkpoint-signers.ts';
import { deploymentConsentForms } from '#shared/adapters/consent-forms.ts';
import { DynamoConsentStore } from '#shared/adapters/consent-store.ts';
import { sqsCourier } from '#shared/adapters/courier.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import {
  DynamoOfficeKeysRepository,
  DynamoOfficeStateRetention,
} from '#shared/adapters/office-keys-store.ts';
import { pseudonymSecret } from '#shared/adapters/secrets.ts';
import { SesNotifier } from '#shared/adapters/ses-notifier.ts';
import { AuditService } from '#shared/application/audit/dpo-service.ts';
import type { DirectoryNames } from '#shared/application/audit/ports.ts';
import { checkpointOrigin, type SequencerDependencies } from '#shared/application/audit/sequencer.ts';
import { ConsentService } from '#shared/application/consents.ts';
import type { DeadlineDependencies } from '#shared/application/deadlines.ts';
import type { DeliveryDependencies } from '#shared/application/delivery.ts';
import type { NotificationDependencies, Notifier } from '#shared/application/notifier.ts';
import type { OfficeKeysDependencies } from '#shared/application/office-keys.ts';
import type { ReferralDependencies } from '#shared/application/referrals.ts';
import type { RetentionDependencies } from '#shared/application/retention.ts';
import type { ServiceSideDependencies } from '#shared/application/service-side.ts';
import { ConfigurationError, loadConfig, queueUrl, type RuntimeConfig } from '#shared/config.ts';
import type { CheckpointSigner } from '#shared/domain/audit/checkpoint.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { dpoCoverage } from '#shared/domain/directory/dpo-scope.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { authorityById, officeById, providerById } from '#shared/domain/directory/lookup.ts';
import { personIdFromSubject } from '#shared/domain/pseudonym.ts';
import { retentionFromEnvironment } from '#shared/domain/retention.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';
import { authorityQueue, officeQueue } from '#shared/resources.ts';

/**
 * The composition root of the deployed functions (and of the local platform, which runs
 * the same handlers): which adapter implements which port, the SDK clients, the
 * environment. Each wiring object is built once per cold start on first use; handlers
 * only ask for the one they need. Nothing else in the code reads the environment.
 */

function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

export const runtimeConfig = once<RuntimeConfig>(() => loadConfig());
export const runtimeDirectory = once<Directory>(() => loadDirectory(runtimeConfig().directoryFile));
export const principalResolver = once(() => {
  const { stage, accountId } = runtimeConfig();
  return new PrincipalResolver(runtimeDirectory(), { stage, accountId });
});

/** How handlers know the caller (shared/http/api-handler.ts): programs by IAM identity, people by ID token. */
export const apiIdentity = {
  principals: principalResolver,
  personId: async (issuer: string, subject: string) =>
    personIdFromSubject(issuer, subject, await pseudonymSecret()),
};

/** The physical queue name of a service office's inbox. */
const queueNameFor = (officeId: string): string =>
  officeQueue(runtimeConfig().stage, officeById(runtimeDirectory(), officeId)!).name;

/** The physical queue name of an authority's event queue. */
const authorityQueueNameFor = (authorityId: string): string =>
  authorityQueue(runtimeConfig().stage, { id: authorityId }).name;

const referralRepository = once(
  () => new DynamoReferralRepository(runtimeConfig(), queueNameFor, authorityQueueNameFor),
);

// ── referrals ──

export const referralDependencies = once<ReferralDependencies & ServiceSideDependencies>(() => ({
  referrals: referralRepository(),
  directory: runtimeDirectory(),
  clock: systemClock,
  secret: pseudonymSecret,
}));

let delivery: DeliveryDependencies | undefined;
export function deliveryDependencies(): DeliveryDependencies {
  delivery ??= {
    referrals: referralRepository(),
    courier: sqsCourier,
    clock: systemClock,
    queueUrlFor: (name) => queueUrl(runtimeConfig(), name),
  };
  return delivery;
}

/** Test seam: replace collaborators of the relay (e.g. a courier that fails once). */
export function useDeliveryDependencies(override: Partial<DeliveryDependencies>): void {
  delivery = { ...deliveryDependencies(), ...override };
}

export const deadlineDependencies = once<DeadlineDependencies>(() => ({
  referrals: referralRepository(),
  clock: systemClock,
}));

// ── retention ──

export const retentionDependencies = once<RetentionDependencies>(() => ({
  offices: new DynamoOfficeStateRetention(runtimeConfig().recordsTable),
  directoryOfficeIds: new Set(runtimeDirectory().serviceOffices.map((o) => o.id)),
  clock: systemClock,
  retention: retentionFromEnvironment(),
}));

// ── office notifications ──

/** The sender of the local platform's mails when the directory names none. */
const LOCAL_SENDER = 'zuweisungen@localhost';

let notifications: NotificationDependencies | undefined;
let notifierOverride: Notifier | undefined;

/**
 * What the office notifier works with. The mails go through Amazon SES when the directory
 * configures them (`deployment.notifications`) and the function is deployed for it
 * (`REX_OFFICE_PAGE_URL`, set by CDK); the local platform hands in its mail sink
 * (`useNotifier`). Otherwise this deployment sends no mail.
 */
export function notificationDependencies(): NotificationDependencies {
  if (notifications) return notifications;
  const directory = runtimeDirectory();
  const settings = directory.deployment.notifications;
  const pageUrl = process.env.REX_OFFICE_PAGE_URL;
  const ses =
    settings && pageUrl
      ? new SesNotifier({
          region: runtimeConfig().region,
          // The SDK's default credential chain, as every client of this function resolves it.
          credentials: () => sqsClient().config.credentials(),
          ...(process.env.AWS_ENDPOINT_URL_SESV2 ? { endpoint: process.env.AWS_ENDPOINT_URL_SESV2 } : {}),
        })
      : undefined;
  notifications = {
    referrals: referralRepository(),
    notifier: notifierOverride ?? ses,
    settings: {
      from: settings?.from ?? LOCAL_SENDER,
      officePageUrl: settings?.officePageUrl ?? pageUrl ?? 'http://127.0.0.1:3000/local/office',
      timeZone: directory.deployment.timeZone,
    },
    contactOf: (officeId) => officeById(directory, officeId)?.contact.email,
  };
  return notifications;
}

/** The local platform's (and the tests') mail sink instead of Amazon SES. */
export function useNotifier(notifier: Notifier): void {
  notifierOverride = notifier;
  notifications = undefined;
}

// ── consents ──

export const consentService = once(
  () =>
    new ConsentService({
      store: new DynamoConsentStore(runtimeConfig()),
      secret: () => pseudonymSecret(),
      forms: () => deploymentConsentForms(),
      directory: runtimeDirectory,
    }),
);

// ── office keys ──

export const officeKeysDependencies = once<OfficeKeysDependencies>(() => ({
  keys: new DynamoOfficeKeysRepository(runtimeConfig()),
  officeExists: (officeId) => officeById(runtimeDirectory(), officeId) !== undefined,
}));

// ── audit ──

let kms: KMSClient | undefined;

/**
 * The checkpoint signer this function is configured with:
 * - `REX_CHECKPOINT_KMS_KEY_ID` (AWS): key id, ARN or alias of a KMS key with usage
 *   SIGN_VERIFY, spec ECC_NIST_EDWARDS25519 (signature type 0x01, the default) or
 *   ECC_NIST_P256 (0x02, where Ed25519 keys are not available). The function needs
 *   kms:GetPublicKey and kms:Sign on it.
 * - otherwise `REX_CHECKPOINT_PRIVATE_KEY` (local platform): an Ed25519 private key as
 *   PKCS #8 PEM or as a JWK (JSON). Never logged.
 */
export async function checkpointSignerFromEnvironment(
  keyName: string,
  env: NodeJS.ProcessEnv = process.env,
  client?: KMSClient,
): Promise<CheckpointSigner> {
  const kmsKeyId = env.REX_CHECKPOINT_KMS_KEY_ID;
  if (kmsKeyId) {
    kms ??= new KMSClient({});
    return KmsCheckpointSigner.connect(keyName, kmsKeyId, client ?? kms);
  }
  const privateKey = env.REX_CHECKPOINT_PRIVATE_KEY;
  if (privateKey) return localCheckpointSigner(keyName, privateKey);
  throw new ConfigurationError(
    'No checkpoint signing key: set REX_CHECKPOINT_KMS_KEY_ID (AWS) or REX_CHECKPOINT_PRIVATE_KEY (local).',
  );
}

/** Display names for the access report, from the deployment directory. */
const directoryNames: DirectoryNames = {
  office: (id) => {
    const directory = runtimeDirectory();
    const office = officeById(directory, id);
    if (!office) return undefined;
    return { name: office.name, providerName: providerById(directory, office.providerId)?.name ?? null };
  },
  authority: (id) => authorityById(runtimeDirectory(), id)?.name,
};

/** The audit components of a function: the sequencer's dependencies and the DPO service. */
export interface AuditDependencies extends SequencerDependencies {
  readonly store: DynamoAuditStore;
  readonly service: AuditService;
}

let audit: AuditDependencies | undefined;

/**
 * The store on the configured tables, the checkpoint signer (read on first use, read
 * again after a failure), the log's origin — `REX_CHECKPOINT_ORIGIN`, or
 * `referral-exchange/<deployment id>/<stage>` — and the DPO service over them.
 */
export function auditDependencies(): AuditDependencies {
  if (audit) return audit;
  const config = runtimeConfig();
  const origin =
    process.env.REX_CHECKPOINT_ORIGIN || checkpointOrigin(runtimeDirectory().deployment.id, config.stage);
  const store = new DynamoAuditStore(config.auditTable, config.recordsTable);
  let signing: Promise<CheckpointSigner> | undefined;
  const signer = () => {
    signing ??= checkpointSignerFromEnvironment(origin).catch((error: unknown) => {
      signing = undefined;
      throw error;
    });
    return signing;
  };
  audit = {
    store,
    origin,
    signer,
    service: new AuditService({
      store,
      writer: store,
      signer,
      secret: () => pseudonymSecret(),
      names: () => directoryNames,
      coverage: (scope) => dpoCoverage(runtimeDirectory(), scope),
      sequenceBucketSize: SEQUENCE_BUCKET_SIZE,
    }),
  };
  return audit;
}

/** What the scheduled sequencer run works with. */
export const sequencerDependencies = (): SequencerDependencies => auditDependencies();

// ── end audit ──
