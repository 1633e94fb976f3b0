import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COVERAGE_REFUSALS } from '#shared/domain/consent/coverage.ts';
import { IdempotencyKeyReused } from '#shared/domain/idempotency.ts';
import { TransitionRefused } from '#shared/domain/referral/lifecycle.ts';
import { REFUSAL_REASONS } from '#shared/domain/routing/schema.ts';
import { problemFromError } from '#shared/http/problem.ts';
import { PROBLEM_TYPES } from '#shared/http/problem-types.ts';

/** The list of problem types, the code that throws them and docs/api.md agree. */

const ROOT = new URL('../../../', import.meta.url).pathname;

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(folder, e.name)) : e.name.endsWith('.ts') ? [join(folder, e.name)] : [],
  );
}
const read = (files: string[]) => files.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
const code = read([...sources('shared'), ...sources('local'), ...sources('functions')]);
/** The local gateway's own refusals (signature checks) name their code on a line of their own. */
const gateway = read(sources('local'));

/** Codes as the source states them: error classes, problem(…) calls, gateway refusals, refusal reasons. */
function codesInSource(): Map<string, number | undefined> {
  const found = new Map<string, number | undefined>();
  for (const m of code.matchAll(/readonly code(?:: string)? = '([a-z-]+)'/g)) found.set(m[1]!, undefined);
  for (const m of code.matchAll(/problem\((\d{3}), '([a-z-]+)'/g)) found.set(m[2]!, Number(m[1]));
  for (const m of code.matchAll(/status: (\d{3}), code: '([a-z-]+)'/g)) found.set(m[2]!, Number(m[1]));
  for (const m of gateway.matchAll(/code: '([a-z-]+)',/g)) if (!found.has(m[1]!)) found.set(m[1]!, undefined);
  // The gateway's token check (local/token-verify.ts) refuses with 401 alone.
  for (const m of gateway.matchAll(/refuse\('([a-z-]+)'/g)) found.set(m[1]!, 401);
  for (const m of code.matchAll(/refused\(\{\s*reason: '([a-z-]+)'/g)) found.set(m[1]!, undefined);
  for (const m of code.matchAll(/new ReferralRefused\(\{\s*reason: '([a-z-]+)'/g))
    found.set(m[1]!, undefined);
  return found;
}

function docsTable(): Map<string, number> {
  const text = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const section = text.slice(text.indexOf('<!-- problem-types -->'), text.indexOf('<!-- /problem-types -->'));
  const rows = new Map<string, number>();
  for (const m of section.matchAll(/^\| `([a-z-]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));
  return rows;
}

describe('problem types', () => {
  it('lists every type the code answers with, at the status the code uses', () => {
    const found = codesInSource();
    expect(found.size).toBeGreaterThan(20);
    for (const [type, status] of found) {
      expect(PROBLEM_TYPES, `${type} is answered but not listed`).toHaveProperty(type);
      if (status !== undefined)
        expect(PROBLEM_TYPES[type as keyof typeof PROBLEM_TYPES].status, type).toBe(status);
    }
  });

  it('lists every refusal reason of routing and consent coverage', () => {
    for (const reason of [...REFUSAL_REASONS, ...Object.keys(COVERAGE_REFUSALS)]) {
      expect(PROBLEM_TYPES, reason).toHaveProperty(reason);
    }
  });

  it('is the table of docs/api.md, row for row', () => {
    const documented = docsTable();
    expect(Object.fromEntries(documented)).toEqual(
      Object.fromEntries(Object.entries(PROBLEM_TYPES).map(([type, { status }]) => [type, status])),
    );
  });

  it('names the reason of every refusal, also where the type says it', () => {
    expect(problemFromError(new IdempotencyKeyReused(), 'req-1')).toMatchObject({
      status: 422,
      reason: 'idempotency-key-reused',
      instance: 'req-1',
    });
    expect(problemFromError(new TransitionRefused('closed', 'declined'))).toMatchObject({
      status: 409,
      reason: 'transition-refused',
      currentStatus: 'closed',
    });
  });
});
