import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { apiThrottle } from '#infra/limits.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { hasPeopleTwin, PEOPLE_PATH_PREFIX, peoplePath } from '#shared/http/people.ts';
import { PROBLEM_CONTENT_TYPE, problemType } from '#shared/http/problem.ts';
import type { PrincipalKind } from '#shared/identity/principal.ts';

/** One HTTP-triggered function and the operations it serves. */
export interface ApiRoute {
  readonly handler: lambda.IFunction;
  readonly operations: readonly OperationSpec[];
}

export interface ApiProps {
  /** Deployment stage (part of the API's name). */
  readonly stage: string;
  /**
   * Functions and the operations they serve; more are added with `route`.
   * @default none
   */
  readonly routes?: readonly ApiRoute[];
  /**
   * Name of the API Gateway stage, the first segment of every URL path.
   * @default 'api'
   */
  readonly stageName?: string;
  /** @default apiThrottle.rateLimitPerSecond (infra/limits.ts) */
  readonly throttlingRateLimit?: number;
  /** @default apiThrottle.burstLimit (infra/limits.ts) */
  readonly throttlingBurstLimit?: number;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The customer-managed key of the access log (it holds caller ARNs and source IPs).
   * @default CloudWatch Logs' own encryption
   */
  readonly logKey?: kms.IKey;
}

/** A deployed API method and the operation it implements. */
export interface ApiMethod {
  readonly operation: OperationSpec;
  readonly method: apigateway.Method;
}

/**
 * Access log fields. Deliberately absent: the path with its query string, request
 * and response bodies, headers — anything that could carry personal data. The
 * resource path (`/v1/consents/{id}`) names the route without the values in it.
 */
const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  errorType: '$context.error.responseType',
  caller: '$context.identity.userArn',
  sourceIp: '$context.identity.sourceIp',
  xrayTraceId: '$context.xrayTraceId',
};

/** API Gateway's own errors, answered as RFC 9457 problem+json like the handlers' errors. */
export const GATEWAY_PROBLEMS: readonly {
  readonly type: apigateway.ResponseType;
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
}[] = [
  {
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthorized',
    detail: 'The request carries no valid credential for this resource and method.',
  },
  {
    // Every 4xx without a response of its own. With IAM auth that is an Authorization
    // header that is no SigV4 signature — e.g. a person's Bearer token on /v1 —, which
    // API Gateway answers with 403 and a message quoting the header (the token). The
    // stack uses no API keys, usage plans or WAF, whose refusals would land here too:
    // who adds one adds its own gateway response.
    type: apigateway.ResponseType.DEFAULT_4XX,
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthorized',
    detail: `The request is not signed as its path requires: SigV4 under /v1/, a sign-in token under ${PEOPLE_PATH_PREFIX}/v1/.`,
  },
  {
    // The Cognito authorizer of the people's tree: no token, or one that is not a valid,
    // unexpired ID token of this user pool and client (a SigV4 signature included).
    type: apigateway.ResponseType.UNAUTHORIZED,
    status: 401,
    code: 'invalid-token',
    title: 'Unauthorized',
    detail: `Under ${PEOPLE_PATH_PREFIX}/ a valid, unexpired sign-in token is required: sign in again.`,
  },
  ...(
    [
      apigateway.ResponseType.ACCESS_DENIED,
      apigateway.ResponseType.INVALID_SIGNATURE,
      apigateway.ResponseType.EXPIRED_TOKEN,
    ] as const
  ).map((type) => ({
    type,
    status: 403,
    code: 'forbidden',
    title: 'Forbidden',
    detail: 'The credential does not allow this request.',
  })),
  {
    type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
    status: 400,
    code: 'invalid-request',
    title: 'Bad Request',
    detail: 'A required request parameter is missing.',
  },
  {
    type: apigateway.ResponseType.BAD_REQUEST_BODY,
    status: 400,
    code: 'invalid-request',
    title: 'Bad Request',
    detail: 'The request body is not valid.',
  },
  {
    type: apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 415,
    code: 'unsupported-media-type',
    title: 'Unsupported Media Type',
    detail: 'The request body has a content type this operation does not accept.',
  },
  {
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    code: 'payload-too-large',
    title: 'Content Too Large',
    detail: 'The request is larger than the API accepts.',
  },
  {
    type: apigateway.ResponseType.THROTTLED,
    status: 429,
    code: 'too-many-requests',
    title: 'Too Many Requests',
    detail: 'Too many requests; retry later.',
  },
  {
    type: apigateway.ResponseType.DEFAULT_5XX,
    status: 502,
    code: 'bad-gateway',
    title: 'Bad Gateway',
    detail: 'The request could not be completed. It may be retried.',
  },
];

/** The body template of a gateway problem; `$context.requestId` lets an operator find the log line. */
function problemTemplate(p: (typeof GATEWAY_PROBLEMS)[number]): string {
  return JSON.stringify({
    type: problemType(p.code),
    title: p.title,
    status: p.status,
    detail: p.detail,
    instance: 'urn:request:$context.requestId',
  });
}

/**
 * The REST API: one resource and method per operation of shared/api/, each proxied
 * to the function that serves it. IAM (SigV4) authorisation on every operation that
 * is not public; which principal may call what is decided by the principal roles'
 * execute-api permissions (PrincipalRoles) and again by the handler.
 *
 * With `acceptPeople`, the operations people use (shared/http/people.ts) get a twin
 * under `/people` over the same function, authorised by a Cognito user-pool authorizer
 * (the person's ID token); the handler maps the person to their unit's principal.
 */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
  /** Every method of the programs' tree (IAM or public), in the order the routes were added. */
  readonly methods: ApiMethod[] = [];
  /** Every method of the people's tree (Cognito authorizer), in the order the routes were added. */
  readonly peopleMethods: ApiMethod[] = [];
  /** The people's authorizer, once `acceptPeople` was called. */
  #peopleAuthorizer: apigateway.CognitoUserPoolsAuthorizer | undefined;
  readonly #stageName: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    this.#stageName = props.stageName ?? 'api';
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
      ...(props.logKey ? { encryptionKey: props.logKey } : {}),
    });

    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `referral-exchange-${props.stage}`,
      description: 'referral-exchange HTTP API',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: removalPolicy,
      deployOptions: {
        stageName: this.#stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs at ERROR level only, and never request or response data.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttlingRateLimit ?? apiThrottle.rateLimitPerSecond,
        throttlingBurstLimit: props.throttlingBurstLimit ?? apiThrottle.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role; the AWS-managed policy is the documented one for it.",
      },
      {
        // A request validator without models validates nothing; the handlers parse every
        // body and parameter with the operation's zod schema (the one the OpenAPI
        // document is generated from) and answer 400 problem+json naming each field.
        id: 'AwsSolutions-APIG2',
        reason:
          "Requests are validated by the operation's zod schema in the handler (the same schema as the OpenAPI document).",
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          "Every non-public method requires SigV4 (IAM) or, in the people's tree, a Cognito ID token, and is throttled; a WAF web ACL is left to the operator.",
      },
    );

    for (const problem of GATEWAY_PROBLEMS) {
      this.restApi.addGatewayResponse(`Problem-${problem.type.responseType}`, {
        type: problem.type,
        statusCode: String(problem.status),
        responseHeaders: { 'Content-Type': `'${PROBLEM_CONTENT_TYPE}'`, 'Cache-Control': "'no-store'" },
        templates: {
          [PROBLEM_CONTENT_TYPE]: problemTemplate(problem),
          'application/json': problemTemplate(problem),
        },
      });
    }

    for (const route of props.routes ?? []) this.route(route);
  }

  /**
   * Accepts signed-in people of the user pool on the people's tree. Call it before the
   * first route: every route added afterwards gets its people twins.
   */
  acceptPeople(userPool: cognito.IUserPool): apigateway.CognitoUserPoolsAuthorizer {
    if (this.methods.length > 0) throw new Error('acceptPeople must be called before the first route.');
    this.#peopleAuthorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'PeopleAuthorizer', {
      cognitoUserPools: [userPool],
      authorizerName: 'people',
      identitySource: apigateway.IdentitySource.header('Authorization'),
      // Every request is verified, so an expired token is refused to the second; the
      // check is a signature verification against the pool's cached keys.
      resultsCacheTtl: Duration.seconds(0),
    });
    return this.#peopleAuthorizer;
  }

  /**
   * One method per operation of the route, proxied to its function: IAM (SigV4) unless
   * the operation is public by contract; and once people are accepted, for each
   * operation people use, its twin under `/people` with the Cognito authorizer.
   */
  route(route: ApiRoute): ApiMethod[] {
    const integration = new apigateway.LambdaIntegration(route.handler, { allowTestInvoke: false });
    const added: ApiMethod[] = [];
    for (const operation of route.operations) {
      const resource = this.restApi.root.resourceForPath(operation.path);
      const isPublic = operation.auth === 'public';
      const method = resource.addMethod(operation.method, integration, {
        operationName: operation.operationId,
        authorizationType: isPublic ? apigateway.AuthorizationType.NONE : apigateway.AuthorizationType.IAM,
      });
      if (isPublic) {
        Validations.of(method).acknowledge(
          {
            id: 'AwsSolutions-APIG4',
            reason: `${operation.operationId} is public by contract (auth: 'public'): it serves no personal data.`,
          },
          {
            id: 'AwsSolutions-COG4',
            reason: `${operation.operationId} is public by contract; callers are machines, not Cognito users.`,
          },
        );
      } else {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `Callers are machine clients that sign with IAM (SigV4); people use the twin under ${PEOPLE_PATH_PREFIX} with the Cognito authorizer.`,
        });
      }
      added.push({ operation, method });
    }
    this.methods.push(...added);

    const authorizer = this.#peopleAuthorizer;
    if (authorizer) {
      for (const operation of route.operations.filter(hasPeopleTwin)) {
        const method = this.restApi.root
          .resourceForPath(peoplePath(operation))
          .addMethod(operation.method, integration, {
            operationName: `${operation.operationId}AsPerson`,
            authorizationType: apigateway.AuthorizationType.COGNITO,
            authorizer,
            // No OAuth scopes: API Gateway then takes the ID token, whose audience is the client.
          });
        this.peopleMethods.push({ operation, method });
      }
    }
    return added;
  }

  /**
   * Lets IAM roles of other accounts (an organisation's own, listed in the directory)
   * invoke the methods their kind is admitted to, by the API's resource policy; another
   * account's caller needs it besides its own IAM permission. Callers of this account
   * stay authorised by their roles' policies alone (with a resource policy that neither
   * allows nor denies them, IAM decides). The resources are spelled `execute-api:/<stage>/…`,
   * as a REST API's own policy must (its id would be a cycle), and the deployment is
   * renewed when the policy changes, which only a new deployment puts into effect.
   */
  allowCallers(callers: readonly { readonly kind: PrincipalKind; readonly arns: readonly string[] }[]): void {
    for (const { kind, arns } of callers) {
      if (arns.length === 0) continue;
      const resources = this.methods
        .filter(({ operation }) => operation.auth !== 'public' && operation.auth.includes(kind))
        .map(
          ({ operation }) =>
            `execute-api:/${this.#stageName}/${operation.method}${operation.path.replace(/\{[^}]+\}/g, '*')}`,
        );
      if (resources.length === 0) continue;
      const statement = new iam.PolicyStatement({
        sid: `OrganisationAccounts${kind[0]!.toUpperCase()}${kind.slice(1)}`,
        principals: arns.map((arn) => new iam.ArnPrincipal(arn)),
        actions: ['execute-api:Invoke'],
        resources,
      });
      this.restApi.addToResourcePolicy(statement);
      this.restApi.latestDeployment?.addToLogicalId({ resourcePolicy: statement.toStatementJson() });
    }
  }

  /**
   * The stage URL built from the API's id, region and stage name, without a trailing
   * slash. Unlike `url` it does not depend on the deployment, so resources the
   * functions depend on (the sign-in client's callback URLs) can name it without a cycle.
   */
  get baseUrl(): string {
    const stack = Stack.of(this);
    return `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${this.#stageName}`;
  }

  /** The API's base URL (the stage URL). */
  get url(): string {
    return this.restApi.url;
  }
}
