import * as z from 'zod';

export const FieldIssueSchema = z
  .strictObject({
    field: z.string().meta({ description: 'Dotted path of the offending field, or a header name.' }),
    reason: z.string().meta({ description: 'Why the field was refused.' }),
  })
  .meta({ id: 'FieldIssue' });

/** RFC 9457 problem details as this API sends them. */
export const ProblemSchema = z
  .looseObject({
    type: z.string().meta({ description: 'A URI identifying the problem type.' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional().meta({ description: 'The request id.' }),
    errors: z.array(FieldIssueSchema).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });
export type ProblemBody = z.infer<typeof ProblemSchema>;
