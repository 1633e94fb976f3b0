import { DynamoConsentStore } from '#shared/adapters/consent-store.ts';
import { sqsCourier } from '#shared/adapters/courier.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import { DynamoOfficeKeysRepository } from '#shared/adapters/office-keys-store.ts';
import { pseudonymSecret } from '#shared/adapters/secrets.ts';
import { ConsentService } from '#shared/application/consents.ts';
import type { DeadlineDependencies } from '#shared/application/deadlines.ts';
import type { DeliveryDependencies } from '#shared/application/delivery.ts';
import type { OfficeKeysDependencies } from '#shared/application/office-keys.ts';
import type { ReferralDependencies } from '#shared/application/referrals.ts';
import type { ServiceSideDependencies } from '#shared/application/service-side.ts';
import { loadConfig, queueUrl, type RuntimeConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { type Directory, officeById } from '#shared/domain/directory/index.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';
import { officeQueue } from '#shared/resources.ts';

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

/** The physical queue name of a service office's inbox. */
const queueNameFor = (officeId: string): string =>
  officeQueue(runtimeConfig().stage, officeById(runtimeDirectory(), officeId)!).name;

const referralRepository = once(() => new DynamoReferralRepository(runtimeConfig(), queueNameFor));

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

// ── consents ──

export const consentService = once(
  () =>
    new ConsentService({ store: new DynamoConsentStore(runtimeConfig()), secret: () => pseudonymSecret() }),
);

// ── office keys ──

export const officeKeysDependencies = once<OfficeKeysDependencies>(() => ({
  keys: new DynamoOfficeKeysRepository(runtimeConfig()),
  officeExists: (officeId) => officeById(runtimeDirectory(), officeId) !== undefined,
}));
