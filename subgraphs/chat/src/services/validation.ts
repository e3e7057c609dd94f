import { z } from 'zod';

export const MAX_BODY = 4000;
export const MAX_ATTACHMENTS = 10;
export const MAX_PARTICIPANTS = 50;

const idempotencyKey = z.string().min(1).max(200).optional().nullable();
/**
 * Ids in the form Postgres returns them (lowercase), whatever case a client sent: they name Redis
 * channels and Kafka partition keys, and are compared with the viewer's id, where case matters.
 */
const id = (message: string) => z.uuid(message).transform((value) => value.toLowerCase());

export const startConversationSchema = z.object({
  participantIds: z
    .array(id('must be user ids'))
    .min(1, 'must name at least one other participant')
    .max(MAX_PARTICIPANTS - 1, `must name at most ${MAX_PARTICIPANTS - 1} others`),
  idempotencyKey,
});

export const sendMessageSchema = z.object({
  conversationId: id('must be a conversation id'),
  body: z
    .string()
    .refine((v) => v.trim().length > 0, 'must not be empty')
    .refine((v) => v.length <= MAX_BODY, `must be at most ${MAX_BODY} characters`)
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), 'must not contain control characters'),
  attachmentIds: z.array(id('must be file ids')).max(MAX_ATTACHMENTS, `must have at most ${MAX_ATTACHMENTS} files`).optional().nullable(),
  idempotencyKey,
});

export const conversationIdSchema = id('must be a conversation id');
export const seqSchema = z.number().int().min(0, 'must not be negative');
