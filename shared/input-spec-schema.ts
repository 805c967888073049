/** The schemas of the input spec (input-spec.ts), for the contract and the engine; zod stays out of the page. */
import { z } from 'zod';
import type { InputSpec, InputValues } from './input-spec.js';

export const inputValuesSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), value: z.number().finite() }),
  z
    .strictObject({ kind: z.literal('range'), min: z.number().finite(), max: z.number().finite() })
    .refine((r) => r.min <= r.max, { message: 'min must not be above max.' }),
  z.strictObject({ kind: z.literal('positions'), start: z.number().int().min(0) }),
]);

export const inputSpecSchema = z.strictObject({
  shapes: z.record(z.string(), z.array(z.number().int().min(0)).max(16)),
  values: z.record(z.string(), inputValuesSchema).optional(),
});

// The schemas and the plain types must describe the same data.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const _valuesMatch: Same<z.infer<typeof inputValuesSchema>, InputValues> = true;
export const _specMatch: Same<z.infer<typeof inputSpecSchema>, InputSpec> = true;
