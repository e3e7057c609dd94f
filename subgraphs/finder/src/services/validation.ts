import { AppError, ErrorCode } from '@finder/platform/config';
import { z, type ZodType } from 'zod';
import { SPECIALTIES } from '../models.ts';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const noControlChars = (v: string) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v);
// eslint-disable-next-line no-control-regex -- single-line fields allow no control characters at all
const singleLine = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(singleLine, 'must be a single line without control characters');
const optionalLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(singleLine, 'must be a single line without control characters')
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional()
    .transform((v) => v ?? null);
const text = (max: number, min = 0) =>
  z
    .string()
    .trim()
    .min(min, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(noControlChars, 'must not contain control characters');

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200, 'must be at most 200 characters')
  .nullable()
  .optional()
  .transform((v) => v ?? undefined);

export const uuidSchema = (what: string) => z.uuid(`must be ${what} id`);

export const professionalProfileSchema = z.object({
  headline: line(140),
  bio: text(4_000),
  specialties: z
    .array(z.enum(SPECIALTIES, { message: `must be one of ${SPECIALTIES.join(', ')}` }))
    .min(1, 'must name at least one specialty')
    .max(SPECIALTIES.length)
    .refine((s) => new Set(s).size === s.length, 'must not repeat a specialty'),
  hourlyRate: z.number().int('must be a whole number').min(0, 'must not be negative').max(10_000, 'must be at most 10000'),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code')
    .nullable()
    .optional()
    .transform((v) => v ?? 'USD'),
  location: optionalLine(120),
  remote: z.boolean(),
  yearsExperience: z.number().int('must be a whole number').min(0, 'must not be negative').max(70, 'must be at most 70'),
  idempotencyKey: idempotencyKeySchema,
});

export const businessProfileSchema = z.object({
  companyName: line(120),
  industry: optionalLine(80),
  size: optionalLine(40),
  idempotencyKey: idempotencyKeySchema,
});

export const requestEngagementSchema = z.object({
  professionalId: uuidSchema('a professional'),
  message: text(2_000, 1),
  idempotencyKey: idempotencyKeySchema,
});

export const respondSchema = z.object({
  id: uuidSchema('an engagement request'),
  accept: z.boolean(),
  idempotencyKey: idempotencyKeySchema,
});

export const withdrawSchema = z.object({ id: uuidSchema('an engagement request'), idempotencyKey: idempotencyKeySchema });

export const reviewSchema = z.object({
  engagementId: uuidSchema('an engagement request'),
  rating: z.number().int('must be a whole number').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5'),
  comment: text(2_000)
    .nullable()
    .optional()
    .transform((v) => (v ? v : null)),
  idempotencyKey: idempotencyKeySchema,
});

export const searchArgsSchema = z.object({
  query: z
    .string()
    .max(200, 'must be at most 200 characters')
    .nullable()
    .optional()
    .transform((v) => v?.trim() || null),
  specialties: z
    .array(z.enum(SPECIALTIES))
    .nullable()
    .optional()
    .transform((v) => (v && v.length > 0 ? [...new Set(v)].sort() : null)),
  maxHourlyRate: z.number().int().min(0, 'must not be negative').nullable().optional().transform((v) => v ?? null),
  remote: z.boolean().nullable().optional().transform((v) => v ?? null),
  first: z.number().int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').nullable().optional().transform((v) => v ?? 20),
  after: z.string().max(4_000, 'is not a cursor of this search').nullable().optional().transform((v) => v ?? null),
});
export type SearchArgs = z.infer<typeof searchArgsSchema>;

export const pageArgsSchema = z.object({
  first: z.number().int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').nullable().optional().transform((v) => v ?? 20),
  after: z.string().max(200, 'is not a valid cursor').nullable().optional().transform((v) => v ?? null),
});

/** Validates field arguments (not an input object): BAD_USER_INPUT naming the argument itself. */
export function validateArgs<T>(schema: ZodType<T, unknown>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
  const first = fields[0]!;
  throw new AppError(ErrorCode.BAD_USER_INPUT, `${first.field}: ${first.message}`, { field: first.field, fields });
}
