import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { covers, dpoCoverage, mayLookUpSubject } from '#shared/domain/directory/dpo-scope.ts';

const directory = loadDirectory('config/directory.example.json');

describe('the coverage of a DPO scope', () => {
  it('reads the scope as the deployment, an authority, a provider (its offices) or one office', () => {
    expect(dpoCoverage(directory, 'lk-karlsruhe')).toEqual({ kind: 'deployment' });
    expect(dpoCoverage(directory, 'abh-bruchsal')).toEqual({
      kind: 'authority',
      authorityId: 'abh-bruchsal',
    });
    expect(dpoCoverage(directory, 'caritas-bruchsal')).toEqual({
      kind: 'provider',
      providerId: 'caritas-bruchsal',
      officeIds: ['mbe-caritas-bruchsal', 'jmd-caritas-bruchsal'],
    });
    expect(dpoCoverage(directory, 'jmd-ib-bruchsal')).toEqual({
      kind: 'office',
      officeId: 'jmd-ib-bruchsal',
      officeIds: ['jmd-ib-bruchsal'],
    });
    expect(dpoCoverage(directory, 'gone')).toEqual({ kind: 'none' });
  });

  it('covers the entries naming the scope, and only the deployment covers entries naming no unit', () => {
    const recorded = { authorityId: 'abh-bruchsal', serviceOfficeId: null };
    const received = { authorityId: 'abh-bruchsal', serviceOfficeId: 'mbe-caritas-bruchsal' };
    const system = { authorityId: null, serviceOfficeId: null };
    const cases: [string, boolean, boolean, boolean][] = [
      ['lk-karlsruhe', true, true, true],
      ['abh-bruchsal', true, true, false],
      ['abh-ettlingen', false, false, false],
      ['caritas-bruchsal', false, true, false],
      ['ib-mittelbaden', false, false, false],
      ['mbe-caritas-bruchsal', false, true, false],
      ['gone', false, false, false],
    ];
    for (const [scope, a, b, c] of cases) {
      const coverage = dpoCoverage(directory, scope);
      expect([
        scope,
        covers(coverage, recorded),
        covers(coverage, received),
        covers(coverage, system),
      ]).toEqual([scope, a, b, c]);
    }
  });

  it('admits the subject lookup for the deployment and an authority only', () => {
    expect(
      ['lk-karlsruhe', 'abh-bruchsal', 'caritas-bruchsal', 'mbe-caritas-bruchsal', 'gone'].map((s) =>
        mayLookUpSubject(dpoCoverage(directory, s)),
      ),
    ).toEqual([true, true, false, false, false]);
  });
});
