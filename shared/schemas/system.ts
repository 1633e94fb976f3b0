import * as z from 'zod';

export const DependencyStateSchema = z
  .strictObject({
    status: z.enum(['up', 'down']),
    latencyMs: z.number().nonnegative(),
    detail: z.string().optional(),
  })
  .meta({ id: 'DependencyState' });
export type DependencyState = z.infer<typeof DependencyStateSchema>;

export const HealthReportSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    stage: z.string(),
    directoryVersion: z.string(),
    dependencies: z.record(z.string(), DependencyStateSchema),
  })
  .meta({ id: 'HealthReport', description: 'The state of the API and of each dependency it needs.' });
export type HealthReport = z.infer<typeof HealthReportSchema>;

export const WhoAmISchema = z
  .strictObject({
    principal: z
      .string()
      .meta({ description: 'e.g. `authority:abh-lk-karlsruhe`, `service:mbe-caritas-bruchsal`.' }),
    kind: z.enum(['authority', 'service', 'dpo', 'operator']),
    name: z.string().optional().meta({
      description: "The organisation unit's name as the directory gives it (absent for the operator).",
    }),
    person: z.boolean().meta({
      description: 'Whether a signed-in person acts (ID token), not a program (SigV4).',
    }),
  })
  .meta({ id: 'WhoAmI' });
export type WhoAmI = z.infer<typeof WhoAmISchema>;
