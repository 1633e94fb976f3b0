/**
 * The retention documentation speaks of what the code does: every setting of
 * `deployment.retention` is described in docs/directory.md with its default, and
 * docs/data-model.md's retention table names every setting and has one row per item
 * kind of the record of processing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { retentionItems } from '#shared/domain/record-of-processing.ts';
import { defaultDeadlines } from '#shared/domain/referral/deadlines.ts';
import { defaultRetention, RetentionSettingsSchema, retentionOf } from '#shared/domain/retention.ts';

const directoryDoc = readFileSync('docs/directory.md', 'utf8');
const dataModel = readFileSync('docs/data-model.md', 'utf8');
const retentionSection = dataModel.slice(dataModel.indexOf('## Retention'), dataModel.indexOf('## Writing'));

describe('the retention documentation', () => {
  it('describes every setting of deployment.retention with its default', () => {
    const settings = Object.keys(
      RetentionSettingsSchema.shape,
    ) as (keyof typeof RetentionSettingsSchema.shape)[];
    expect(settings.length).toBe(Object.keys(defaultRetention).length);
    for (const setting of settings) {
      const policy = retentionOf({ retention: { [setting]: 7 } });
      const changed = Object.entries(policy).filter(
        ([k, v]) => v !== defaultRetention[k as keyof typeof defaultRetention],
      );
      expect(changed, setting).toHaveLength(1);
      const defaultValue = defaultRetention[changed[0]![0] as keyof typeof defaultRetention];
      expect(directoryDoc, setting).toMatch(new RegExp(`\\| \`${setting}\` \\| ${defaultValue} \\|`));
      expect(retentionSection, setting).toContain(`retention.${setting}`);
    }
  });

  it('has one row per stored item kind', () => {
    const rows = retentionSection.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| item'));
    expect(rows).toHaveLength(retentionItems(defaultRetention, defaultDeadlines).length);
  });
});
