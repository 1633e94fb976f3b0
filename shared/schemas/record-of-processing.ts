/** The record of processing activities (Art. 30 GDPR), as `getRecordOfProcessing` returns it. */
import * as z from 'zod';
import type * as domain from '#shared/domain/record-of-processing.ts';

const Bilingual = z.object({ de: z.string(), en: z.string() }).meta({
  id: 'BilingualText',
  description: 'A text in German and English.',
});

const Party = z.object({ id: z.string(), name: z.string(), role: Bilingual });
const Item = z.object({ code: z.string(), label: Bilingual, description: Bilingual.optional() });

export const RecordOfProcessing = z
  .object({
    deployment: z.object({ id: z.string(), name: z.string() }),
    generatedAt: z.iso.datetime(),
    controllers: z.array(Party),
    processors: z.array(Party),
    dataProtectionOfficers: z.array(z.object({ name: z.string(), scope: z.string() })),
    purposes: z.array(Item),
    dataSubjects: z.array(Item),
    dataCategories: z.array(Item),
    recipients: z.array(
      z.object({
        officeId: z.string(),
        name: z.string(),
        serviceType: z.string(),
        providerId: z.string(),
        providerName: z.string(),
      }),
    ),
    retention: z.array(
      z.object({
        item: z.string(),
        label: Bilingual,
        retention: Bilingual,
        setting: z.string().nullable().meta({
          description:
            'The directory setting that decides it, with its value in force; null where none does.',
        }),
        reason: Bilingual,
        enforcement: z.enum(['ttl', 'deadline-job', 'job-then-ttl', 'transition', 'kept']).meta({
          description:
            'How deletion happens: DynamoDB TTL, the deadline job, the deadline job setting the TTL (office states), with the step that ends the item, or kept on purpose.',
        }),
      }),
    ),
    measures: z.array(Item),
  })
  .meta({
    id: 'RecordOfProcessing',
    description:
      'The record of processing activities (Art. 30 GDPR), generated from the directory and the deployment: German first, English beside it.',
  });
export type RecordOfProcessing = z.infer<typeof RecordOfProcessing>;

export const RecordOfProcessingQuery = z.strictObject({
  format: z
    .enum(['json', 'html'])
    .optional()
    .meta({ description: 'The representation; default by `Accept`.' }),
});

/** The parsed record is the generator's type (the unit test parses a generated record). */
export const asRecordOfProcessing = (r: RecordOfProcessing): domain.RecordOfProcessing => r;
