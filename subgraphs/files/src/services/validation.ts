import { z } from 'zod';
import { ACCEPTED_TYPES, normalizeMimeType } from './sniff.ts';

const idempotencyKey = z.string().min(1).max(200).optional().nullable();

export const MAX_NAME_BYTES = 255;

/**
 * A plain file name, refused (not silently rewritten) when it could mean anything else: no path
 * separators or traversal, no control or bidirectional-override characters, not too long.
 */
export const fileNameSchema = z
  .string()
  .transform((v) => v.normalize('NFC').trim())
  .refine((v) => v.length > 0, 'must not be empty')
  .refine((v) => Buffer.byteLength(v) <= MAX_NAME_BYTES, `must be at most ${MAX_NAME_BYTES} bytes`)
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  .refine((v) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(v), 'must not contain control characters')
  .refine((v) => !/[/\\]/.test(v), 'must not contain path separators')
  .refine((v) => v !== '.' && v !== '..' && !v.startsWith('..'), 'must not be a relative path');

export const createUploadSchema = (maxFileBytes: number) =>
  z.object({
    name: fileNameSchema,
    mimeType: z
      .string()
      .transform(normalizeMimeType)
      .refine((v) => v in ACCEPTED_TYPES, `must be one of ${Object.keys(ACCEPTED_TYPES).join(', ')}`),
    size: z
      .number()
      .int()
      .positive('must be at least 1 byte')
      .max(maxFileBytes, `must be at most ${maxFileBytes} bytes (the per-file maximum)`),
    idempotencyKey,
  });

export const requestConversionSchema = z.object({
  fileId: z.uuid('must be a file id'),
  target: z.enum(['THUMBNAIL', 'WEBP', 'PNG', 'JPEG']),
  idempotencyKey,
});

export const fileIdSchema = z.uuid('must be a file id');
export const idempotencyKeySchema = idempotencyKey;
export const versionSchema = z.number().int().min(0, 'must not be negative');
