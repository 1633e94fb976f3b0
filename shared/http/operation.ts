import type * as z from 'zod';
import type { PrincipalKind } from '#shared/identity/principal.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Defaults to application/json. */
  readonly contentType?: string;
  /** Other representations of the same answer, by media type (e.g. a printable text/html). */
  readonly alternatives?: Readonly<Record<string, { readonly schema: z.ZodType }>>;
}

/**
 * One operation of the HTTP API: the contract that the handler enforces, the local
 * gateway and API Gateway route, and the OpenAPI document describes. Defined once
 * in shared/api/ and imported by all three.
 */
export interface OperationSpec<
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Params extends z.ZodType | undefined = z.ZodType | undefined,
  Query extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, e.g. `/v1/consents/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** `public`: no credential needed; otherwise the principal kinds that may call. */
  readonly auth: 'public' | readonly PrincipalKind[];
  readonly body?: Body;
  readonly params?: Params;
  readonly query?: Query;
  /** Whether the Idempotency-Key header is required (every POST that creates something). */
  readonly idempotencyKey?: boolean;
  /** Largest accepted body in bytes; default 64 KiB. */
  readonly maxBodyBytes?: number;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export function defineOperation<
  Body extends z.ZodType | undefined = undefined,
  Params extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
>(spec: OperationSpec<Body, Params, Query>): OperationSpec<Body, Params, Query> {
  return spec;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;
export type BodyOf<O> = O extends OperationSpec<infer B, infer _P, infer _Q> ? Infer<B> : never;
export type ParamsOf<O> = O extends OperationSpec<infer _B, infer P, infer _Q> ? Infer<P> : never;
export type QueryOf<O> = O extends OperationSpec<infer _B, infer _P, infer Q> ? Infer<Q> : never;
