import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies point one way (docs/architecture.md): domain ← application ← functions,
 * adapters implement the ports of the application and the domain, HTTP maps errors.
 * Read from the source files' import statements, so a new file is covered at once.
 */

const ROOT = new URL('../../', import.meta.url).pathname;

function sources(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
}

/** Every import of the folder's files that matches a forbidden pattern, as `file → specifier`. */
function violations(folder: string, forbidden: readonly RegExp[]): string[] {
  const found: string[] = [];
  for (const file of sources(folder)) {
    for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
      if (spec.startsWith('../'))
        found.push(`${relative(ROOT, join(ROOT, file))} → ${spec} (use the # alias)`);
      if (forbidden.some((f) => f.test(spec))) found.push(`${file} → ${spec}`);
    }
  }
  return found;
}

const AWS_SDK = /^@aws-sdk\//;
const RUNTIMES = /^#(functions|local|cli|infra|bench|test)\//;

describe('layering', () => {
  it('the domain imports nothing of schemas, API, application, adapters, HTTP or the AWS SDK', () => {
    expect(
      violations('shared/domain', [
        /^#shared\/(schemas|api|application|adapters|http|sdk|resources|config|observability)/,
        AWS_SDK,
        RUNTIMES,
      ]),
    ).toEqual([]);
  });

  it('the application imports no adapter, no HTTP plumbing and no AWS SDK', () => {
    expect(
      violations('shared/application', [/^#shared\/(adapters|http|api|sdk)\//, AWS_SDK, RUNTIMES]),
    ).toEqual([]);
  });

  it('adapters, HTTP, schemas and the API contracts never reach into a runtime', () => {
    for (const folder of [
      'shared/adapters',
      'shared/http',
      'shared/schemas',
      'shared/api',
      'shared/identity',
    ]) {
      expect(violations(folder, [RUNTIMES]), folder).toEqual([]);
    }
  });

  it('schemas and API contracts import no adapter and no application module', () => {
    for (const folder of ['shared/schemas', 'shared/api']) {
      expect(violations(folder, [/^#shared\/(adapters|application)\//, AWS_SDK]), folder).toEqual([]);
    }
  });

  it('reads imports as written, so the rules above can fail', () => {
    expect(
      importsOf(
        "import { a } from '#shared/adapters/x.ts';\nimport type { B } from '@aws-sdk/client-sqs';\nexport { c } from './c.ts';\nconst m = await import('#functions/composition.ts');",
      ),
    ).toEqual(['#shared/adapters/x.ts', '@aws-sdk/client-sqs', './c.ts', '#functions/composition.ts']);
  });
});
