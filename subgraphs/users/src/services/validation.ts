import { z } from 'zod';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const noControlChars = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

export const emailSchema = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be a valid email address'));

export const passwordSchema = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(256, 'must be at most 256 characters');

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(80, 'must be at most 80 characters')
  .refine(noControlChars, 'must not contain control characters');

export const idempotencyKeySchema = z.string().min(1).max(200).optional().nullable();

export const registerSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  displayName: displayNameSchema,
  role: z.enum(['BUSINESS', 'PROFESSIONAL'], { message: 'must be BUSINESS or PROFESSIONAL; admin accounts cannot be self-registered' }),
  idempotencyKey: idempotencyKeySchema,
});

export const startRegistrationSchema = z.object({
  email: emailSchema,
  idempotencyKey: idempotencyKeySchema,
});

export const completeRegistrationSchema = z.object({
  token: z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'),
  password: passwordSchema,
  displayName: displayNameSchema,
  role: registerSchema.shape.role,
  idempotencyKey: idempotencyKeySchema,
});

export const loginSchema = z.object({
  email: z.string().trim().max(254, 'must be at most 254 characters'),
  password: z.string().max(256, 'must be at most 256 characters'),
  idempotencyKey: idempotencyKeySchema,
});

export const updateProfileSchema = z.object({
  displayName: displayNameSchema.optional().nullable(),
  avatarFileId: z.uuid('must be a file id').optional().nullable(),
  idempotencyKey: idempotencyKeySchema,
});

/** Emails compare case-insensitively; the stored address keeps the user's spelling. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();
