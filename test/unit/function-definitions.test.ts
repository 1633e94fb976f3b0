import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertDefinitionsComplete,
  definitionProblems,
  type FunctionDefinition,
  functionDefinition,
  functionDefinitions,
  limitsOf,
  ownEnvironmentOf,
  tableAccessOf,
} from '#functions/definitions.ts';
import { operations } from '#shared/api/index.ts';

const at = {
  pseudonymSecretParameter: '/param',
  checkpointKeyId: 'key-1',
  bundleRoot: '/var/task',
  signInIssuer: 'https://cognito-idp.eu-central-1.amazonaws.com/pool',
  signInClientId: 'client-1',
  signInLogoutUrl: 'https://login.example/logout',
};

/** The definitions with one of them replaced. */
function withChanged(id: string, change: Partial<FunctionDefinition<string>>): FunctionDefinition<string>[] {
  return functionDefinitions.map((d) =>
    d.id === id ? ({ ...d, ...change } as FunctionDefinition<string>) : d,
  );
}

describe('the function definitions', () => {
  it('are complete: every operation served exactly once, tables, indexes, limits and schedules valid', () => {
    expect(definitionProblems(functionDefinitions)).toEqual([]);
    expect(() => assertDefinitionsComplete()).not.toThrow();
  });

  it('serve every operation of shared/api exactly once', () => {
    const served = functionDefinitions.flatMap((d) =>
      d.kind === 'http' ? d.operations.map((o) => o.operationId) : [],
    );
    expect(served.sort()).toEqual(operations.map((o) => o.operationId).sort());
  });

  it('deploy every handler module of functions/, each once', () => {
    const handlers = readdirSync('functions')
      .filter((f) => f.endsWith('.ts') && f !== 'definitions.ts' && f !== 'composition.ts')
      .map((f) => `functions/${f}`);
    expect(functionDefinitions.map((d) => d.entry).sort()).toEqual(handlers.sort());
    for (const def of functionDefinitions) expect(existsSync(def.entry), def.id).toBe(true);
  });

  it('look a function up by an id that the compiler checks', () => {
    expect(functionDefinition('AuditSequencerFunction').kind).toBe('schedule');
    // A misspelt id does not compile (tsc --noEmit covers the tests).
    // @ts-expect-error -- not a function id
    const misspelt = () => functionDefinition('AuditSequencerFuntcion');
    expect(misspelt).toBeTypeOf('function');
  });

  it('name an operation served twice, or by no function', () => {
    const [first, second] = functionDefinitions.filter((d) => d.kind === 'http');
    const op = first!.kind === 'http' ? first!.operations[0]! : undefined;
    const twice = withChanged(second!.id, {
      operations: [...(second!.kind === 'http' ? second!.operations : []), op!],
    });
    expect(definitionProblems(twice)).toEqual([
      `Operation ${op!.operationId} is served by ${first!.id} and ${second!.id}.`,
    ]);
    const none = withChanged(first!.id, {
      operations: first!.kind === 'http' ? first!.operations.slice(1) : [],
    });
    expect(definitionProblems(none)).toContain(`Operation ${op!.operationId} is served by no function.`);
  });

  it('name a duplicate id, a handler outside functions/, an unknown index, impossible limits and schedules', () => {
    const sequencer = functionDefinition('AuditSequencerFunction');
    const broken: FunctionDefinition<string>[] = [
      ...withChanged('ConsentsFunction', {
        entry: 'shared/consents.ts',
        permissions: { tables: { Records: { actions: ['dynamodb:Query'], queryIndexes: ['gsi9'] } } },
        limits: { timeoutSeconds: 901, memorySizeMb: 64, reservedConcurrency: 0 },
      }),
      { ...sequencer, everyMinutes: 0 } as FunctionDefinition<string>,
    ];
    expect(definitionProblems(broken)).toEqual([
      'ConsentsFunction: the handler shared/consents.ts is not a module of functions/.',
      'ConsentsFunction: table Records has no index gsi9.',
      'ConsentsFunction: the timeout must be 1 to 900 seconds.',
      'ConsentsFunction: the memory must be 128 to 10240 MB.',
      'ConsentsFunction: a reserved concurrency is a whole number of at least 1.',
      'AuditSequencerFunction is defined twice.',
      'AuditSequencerFunction: a schedule runs every whole number of minutes, at least 1.',
    ]);
    expect(() => assertDefinitionsComplete(broken)).toThrow(/incomplete/);
  });

  it('keep function ids in the construct id form', () => {
    const renamed = withChanged('SystemFunction', { id: 'system' });
    expect(definitionProblems(renamed)).toEqual([
      'system: a function id is PascalCase and ends in "Function".',
    ]);
  });
});

describe('what follows from a definition', () => {
  it('limits: the defaults unless the definition says otherwise', () => {
    expect(limitsOf(functionDefinition('SystemFunction'))).toEqual({ timeoutSeconds: 10, memorySizeMb: 512 });
    expect(limitsOf(functionDefinition('AuditSequencerFunction'))).toEqual({
      timeoutSeconds: 55,
      memorySizeMb: 512,
      reservedConcurrency: 1,
    });
  });

  it('table access: the stream of the table whose stream triggers the function, with its declaration', () => {
    const relay = tableAccessOf(functionDefinition('OutboxRelayFunction'));
    expect(relay.Records).toMatchObject({ stream: true, queryIndexes: ['gsi1'] });
    expect(relay.Audit?.stream).toBeUndefined();
    const bare = tableAccessOf({ ...functionDefinition('OutboxRelayFunction'), permissions: {} });
    expect(bare).toEqual({ Records: { actions: [], stream: true } });
  });

  it('environment: where the secret, the signing key, a bundled folder and the sign-in are, for those that use them', () => {
    expect(ownEnvironmentOf(functionDefinition('AuditApiFunction'), at)).toEqual({
      REX_PSEUDONYM_SECRET_PARAMETER: '/param',
      REX_CHECKPOINT_KMS_KEY_ID: 'key-1',
    });
    expect(ownEnvironmentOf(functionDefinition('AuditSequencerFunction'), at)).toEqual({
      REX_CHECKPOINT_KMS_KEY_ID: 'key-1',
    });
    expect(ownEnvironmentOf(functionDefinition('WebPagesFunction'), at)).toEqual({
      REX_WEB_DIR: '/var/task/web',
      REX_SIGN_IN_ISSUER: 'https://cognito-idp.eu-central-1.amazonaws.com/pool',
      REX_SIGN_IN_CLIENT_ID: 'client-1',
      REX_SIGN_IN_LOGOUT_URL: 'https://login.example/logout',
    });
    expect(ownEnvironmentOf(functionDefinition('RoutingPreviewFunction'), at)).toEqual({});
  });
});
