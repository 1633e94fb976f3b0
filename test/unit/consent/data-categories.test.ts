import { describe, expect, it } from 'vitest';
import {
  DATA_CATEGORIES,
  DATA_CATEGORY_INFO,
  DataCategory,
  PURPOSE_INFO,
  PURPOSES,
  Purpose,
} from '#shared/domain/data-categories.ts';

describe('data categories and purposes', () => {
  it('is the closed list of eight categories', () => {
    expect(DATA_CATEGORIES).toEqual([
      'identity',
      'contact',
      'address',
      'nationality-and-languages',
      'residence-status',
      'family',
      'education-and-work',
      'needs',
    ]);
    expect(DataCategory.safeParse('health').success).toBe(false);
  });

  it('describes every category and purpose in English and German', () => {
    for (const info of [...Object.values(DATA_CATEGORY_INFO), ...Object.values(PURPOSE_INFO)]) {
      expect(info.label).not.toBe('');
      expect(info.labelDe).not.toBe('');
      expect(info.description).not.toBe('');
    }
    expect(Object.keys(DATA_CATEGORY_INFO)).toEqual([...DATA_CATEGORIES]);
    expect(Object.keys(PURPOSE_INFO)).toEqual([...PURPOSES]);
  });

  it('has no blanket purpose', () => {
    expect(PURPOSES).not.toContain('all');
    expect(Purpose.safeParse('any').success).toBe(false);
    expect(Purpose.safeParse('migration-counselling').success).toBe(true);
  });
});
