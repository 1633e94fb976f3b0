import type { RetentionSettings } from '#shared/domain/retention.ts';
import { auditTable, recordsTable } from './resources.ts';

/**
 * The environment every function runs with. CDK passes it with deploy-time values
 * (tokens), the local platform with its emulators' values; `loadConfig` reads it.
 */
export function functionEnvironment(values: {
  readonly stage: string;
  readonly accountId: string;
  readonly recordsTable: string;
  readonly auditTable: string;
  readonly directoryFile: string;
  readonly queueUrlTemplate: string;
  /** From the directory's `deployment.auditRetentionYears`; absent: the default (end of the following year). */
  readonly auditRetentionYears?: number | undefined;
  /** The directory's `deployment.retention`; absent: the defaults (shared/domain/retention.ts). */
  readonly retention?: RetentionSettings | undefined;
}): Record<string, string> {
  return {
    REX_STAGE: values.stage,
    REX_ACCOUNT_ID: values.accountId,
    [recordsTable.envVar]: values.recordsTable,
    [auditTable.envVar]: values.auditTable,
    REX_DIRECTORY_FILE: values.directoryFile,
    REX_QUEUE_URL_TEMPLATE: values.queueUrlTemplate,
    ...(values.auditRetentionYears !== undefined
      ? { REX_AUDIT_RETENTION_YEARS: String(values.auditRetentionYears) }
      : {}),
    ...(values.retention !== undefined ? { REX_RETENTION: JSON.stringify(values.retention) } : {}),
    POWERTOOLS_SERVICE_NAME: 'referral-exchange',
    POWERTOOLS_METRICS_NAMESPACE: 'ReferralExchange',
  };
}

/**
 * What a web page function tells the browser about sign-in (docs/sign-in.md): the
 * OpenID provider's issuer (the Cognito user pool in AWS, the local provider on one
 * machine) and the web client's id. The page reads them from its `config.json`.
 */
export const SIGN_IN_ENVIRONMENT = {
  issuer: 'REX_SIGN_IN_ISSUER',
  clientId: 'REX_SIGN_IN_CLIENT_ID',
  /** Where a page ends the provider's session when discovery names no end_session_endpoint (Cognito). */
  logoutUrl: 'REX_SIGN_IN_LOGOUT_URL',
} as const;
