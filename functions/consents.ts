import {
  getConsent,
  getConsentForm,
  getConsentReceipt,
  listConsentForms,
  recordConsent,
  withdrawConsent,
} from '#shared/api/consents.ts';
import { getErasureStatus, requestErasure } from '#shared/api/erasure.ts';
import { erasureStatus, recordErasureRequest } from '#shared/application/erasure.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { renderConsentReceiptHtml } from '#shared/http/consent-receipt-html.ts';
import { wantsHtml } from '#shared/http/html-document.ts';
import { apiIdentity, consentService, referralDependencies } from './composition.ts';

/** The consent registry: record, read and withdraw consents; erasure requests and who confirmed (docs/consent.md). */

const consents = consentService;

export const handler = apiHandler(
  [
    route(recordConsent, async ({ principal, idempotencyKey, body }) =>
      consents().record({ principal: principal!, idempotencyKey: idempotencyKey!, body }),
    ),
    route(getConsent, async ({ principal, params }) => ({
      status: 200,
      body: await consents().get({ principal: principal!, id: params.id }),
    })),
    route(withdrawConsent, async ({ principal, params, body }) => ({
      status: 200,
      body: await consents().withdraw({ principal: principal!, id: params.id, body }),
    })),
    route(getConsentReceipt, async ({ principal, params, query, headers }) => {
      const receipt = await consents().receipt({ principal: principal!, id: params.id });
      return wantsHtml(query.format, headers.accept)
        ? {
            status: 200,
            body: renderConsentReceiptHtml(receipt),
            contentType: 'text/html; charset=utf-8',
          }
        : { status: 200, body: receipt };
    }),
    route(listConsentForms, async () => ({ status: 200, body: consents().formTexts() })),
    route(getConsentForm, async ({ params }) => ({
      status: 200,
      body: consents().formText(params.sha256),
      headers: { 'cache-control': 'public, max-age=86400, immutable' },
    })),
    route(requestErasure, async ({ principal, params, body, idempotencyKey }) => ({
      status: 200,
      body: await recordErasureRequest(referralDependencies(), principal!, params.id, body, idempotencyKey!),
    })),
    route(getErasureStatus, async ({ principal, params }) => ({
      status: 200,
      body: await erasureStatus(referralDependencies(), principal!, params.id),
    })),
  ],
  apiIdentity,
);
