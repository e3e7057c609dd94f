import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RetryLater, sleep } from '@finder/platform/kafka';
import type { Logger } from '@finder/platform/config';
import { createSubmit, type Writer } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import sharp from 'sharp';
import { filesEvents, type ConversionTargetName, type FilesEvent } from '../events/files-events.ts';
import { reads } from '../services/reads.ts';
import { readAll, storageKeyOf, type Storage } from '../services/storage.ts';

// Two cores shared with everything else: one libvips thread per conversion is plenty.
sharp.concurrency(1);

const OUTPUT: Record<ConversionTargetName, { mimeType: string; suffix: string }> = {
  THUMBNAIL: { mimeType: 'image/webp', suffix: '-thumbnail.webp' },
  WEBP: { mimeType: 'image/webp', suffix: '.webp' },
  PNG: { mimeType: 'image/png', suffix: '.png' },
  JPEG: { mimeType: 'image/jpeg', suffix: '.jpg' },
};

/** Converts an image with sharp; throws on bytes that do not decode. */
export async function convertImage(input: Buffer, target: ConversionTargetName): Promise<Buffer> {
  const image = sharp(input, { failOn: 'error', limitInputPixels: 100_000_000 }).rotate();
  switch (target) {
    case 'THUMBNAIL':
      return image.resize(256, 256, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
    case 'WEBP':
      return image.webp({ quality: 85 }).toBuffer();
    case 'PNG':
      return image.png().toBuffer();
    case 'JPEG':
      return image.flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
  }
}

export const outputName = (sourceName: string, target: ConversionTargetName): string => {
  const base = sourceName.replace(/\.[^.]*$/, '') || 'file';
  const suffix = OUTPUT[target].suffix;
  return `${base.slice(0, 255 - Buffer.byteLength(suffix) - 8)}${suffix}`;
};

/**
 * The converter: works on `conversion.requested`. At least once and idempotent: a conversion
 * already DONE or FAILED is skipped, the output's file id and storage key were fixed when it was
 * requested, and the persister only moves a conversion forward, so a converter killed mid-job
 * and retried produces exactly one output file.
 */
export function createConverterHandler(deps: { em: EntityManager; storage: Storage; writer: Writer; logger: Logger; delayMs: number }) {
  const { storage, logger } = deps;
  const submit = createSubmit(deps.writer, filesEvents);
  const pause = () => (deps.delayMs > 0 ? sleep(deps.delayMs) : Promise.resolve());

  return async function handle(event: FilesEvent): Promise<void> {
    if (event.type !== 'conversion.requested') return;
    const d = event.data;
    const em = deps.em.fork();
    const [conversion] = await reads.conversions(em, [d.conversionId]);
    if (!conversion) {
      // The persister consumes the same event alongside: its commit can land between the two
      // reads, so only a rejection ends the job here; an applied outcome means "read again".
      const [row] = await em.execute<{ status: string }[]>("select outcome->>'status' as status from files.processed_events where event_id = ?", [event.id]);
      if (row?.status === 'rejected') return;
      throw new RetryLater(row ? 'conversion applied since it was read' : 'conversion not persisted yet');
    }
    if (conversion.status === 'DONE' || conversion.status === 'FAILED') return;
    const progress = (value: number) =>
      submit(filesEvents.create('conversion.progressed', { aggregateId: d.conversionId, actorId: null, data: { conversionId: d.conversionId, progress: value } }));
    const failed = (error: string) =>
      submit(filesEvents.create('conversion.failed', { aggregateId: d.conversionId, actorId: null, data: { conversionId: d.conversionId, error } }));

    await pause();
    await progress(0.1);
    const [source] = await reads.files(em, [d.fileId]);
    if (!source || source.status !== 'READY') return void (await failed('The source file is no longer available'));
    const input = await readAll(await storage.get(source.storageKey));
    await pause();
    let output: Buffer;
    try {
      output = await convertImage(input, d.target);
    } catch (err) {
      // Bad input is the file's problem, not the worker's: record it and carry on.
      logger.info({ conversionId: d.conversionId, err: (err as Error).message }, 'image cannot be converted');
      await failed(`The image cannot be converted: ${(err as Error).message}`.slice(0, 1000));
      return;
    }
    await progress(0.6);
    await pause();
    const storageKey = storageKeyOf(d.outputFileId);
    // Same key on every attempt: a retry overwrites, never adds.
    await storage.put(storageKey, Readable.from([output]), output.length);
    await progress(0.9);
    await submit(
      filesEvents.create('conversion.completed', {
        aggregateId: d.conversionId,
        actorId: null,
        data: {
          conversionId: d.conversionId,
          output: {
            fileId: d.outputFileId,
            ownerId: d.requesterId,
            name: outputName(source.name, d.target),
            mimeType: OUTPUT[d.target].mimeType,
            size: output.length,
            sha256: createHash('sha256').update(output).digest('hex'),
            storageKey,
          },
        },
      }),
    );
  };
}
