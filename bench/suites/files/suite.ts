import { join } from 'node:path';
import { cleanUp, onCleanup } from '../../lib/cleanup.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SuiteReport, Table } from '../../lib/report.ts';
import { forkWorker } from '../../lib/worker.ts';
import { startFilesStack } from './files-stack.ts';

const LOAD_GENERATOR = join(import.meta.dirname, 'load-generator.ts');
const MB = 1024 * 1024;

interface Settings {
  sizes: { label: string; bytes: number; count: number }[];
  warmupUploads: number;
  thumbnails: number;
  image: { width: number; height: number };
}

function settings(quick: boolean): Settings {
  return {
    sizes: [
      { label: '1 MB', bytes: MB, count: quick ? 3 : 40 },
      { label: '20 MB', bytes: 20 * MB, count: quick ? 1 : 8 },
    ],
    warmupUploads: quick ? 1 : 3,
    thumbnails: quick ? 3 : 40,
    image: quick ? { width: 800, height: 600 } : { width: 2400, height: 1600 },
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const mbPerSecond = (bytes: number, ms: number) => bytes / MB / (ms / 1000);
const fixed = (value: number, digits = 1) => value.toFixed(digits);

/**
 * Files: upload throughput through nginx to local storage against `cp` of the same bytes on the
 * same disk, and thumbnails per second against sharp alone. Uploads run one after another, so
 * MB/s is that of one client; thumbnails are requested all at once.
 */
export async function runFilesSuite(options: { quick: boolean; progress: Progress }): Promise<SuiteReport> {
  const { quick, progress } = options;
  const s = settings(quick);
  try {
    progress('starting the files stack (database, Redis, broker, server, persister, worker, nginx)');
    const stack = await startFilesStack();
    onCleanup(stack.stop);
    const generator = forkWorker(LOAD_GENERATOR);
    onCleanup(generator.stop);
    const target = { graphqlUrl: stack.graphqlUrl, identitySecret: stack.identitySecret, databaseUrl: stack.databaseUrl };

    progress('warming up');
    await generator.request('uploads', { target, size: MB, count: s.warmupUploads });
    await generator.request('cp', { dir: stack.workDir, size: MB, count: s.warmupUploads });

    const uploadRows: (string | number)[][] = [];
    for (const size of s.sizes) {
      progress(`uploading ${size.count} × ${size.label}`);
      const uploads = await generator.request<{ putMs: number; totalMs: number }[]>('uploads', { target, size: size.bytes, count: size.count });
      progress(`cp ${size.count} × ${size.label}`);
      const copies = await generator.request<number[]>('cp', { dir: stack.workDir, size: size.bytes, count: size.count });
      const bytes = size.bytes * size.count;
      const put = mbPerSecond(bytes, sum(uploads.map((u) => u.putMs)));
      const whole = mbPerSecond(bytes, sum(uploads.map((u) => u.totalMs)));
      const cp = mbPerSecond(bytes, sum(copies));
      uploadRows.push([size.label, size.count, fixed(put), fixed(whole), fixed(cp), `${fixed((put / cp) * 100, 0)}%`, `${fixed((whole / cp) * 100, 0)}%`]);
    }

    progress('uploading the source image');
    const source = await generator.request<{ fileId: string; bytes: number }>('sourceImage', { target, ...s.image });
    progress('warming up the converter');
    await generator.request('thumbnails', { target, fileId: source.fileId, count: 2 });
    progress(`${s.thumbnails} thumbnails through the platform`);
    const platform = await generator.request<{ elapsedMs: number }>('thumbnails', { target, fileId: source.fileId, count: s.thumbnails });
    progress(`${s.thumbnails} thumbnails with sharp alone`);
    const bare = await generator.request<{ elapsedMs: number }>('sharpThumbnails', { ...s.image, count: s.thumbnails });
    const perSecond = (ms: number) => s.thumbnails / (ms / 1000);

    const uploadsTable: Table = {
      caption: 'Upload throughput, one client, through nginx to local storage, against cp of the same bytes',
      columns: ['file size', 'files', 'PUT MB/s', 'whole upload MB/s', 'cp MB/s', 'PUT / cp', 'whole / cp'],
      rows: uploadRows,
    };
    const thumbnailsTable: Table = {
      caption: `Thumbnails (256 px WebP) of a ${s.image.width}×${s.image.height} JPEG of ${fixed(source.bytes / 1024, 0)} KB`,
      columns: ['system', 'thumbnails', 'seconds', 'thumbnails/s'],
      rows: [
        ['platform: requestConversion → worker → DONE in Postgres', s.thumbnails, fixed(platform.elapsedMs / 1000, 2), fixed(perSecond(platform.elapsedMs), 2)],
        ['sharp alone, one after another, same code', s.thumbnails, fixed(bare.elapsedMs / 1000, 2), fixed(perSecond(bare.elapsedMs), 2)],
        ['platform / sharp alone', '', '', `${fixed((perSecond(platform.elapsedMs) / perSecond(bare.elapsedMs)) * 100, 0)}%`],
      ],
    };
    return {
      title: quick ? 'files (quick: not a measurement)' : 'files',
      tables: [uploadsTable, thumbnailsTable],
      notes: [
        'PUT = the signed PUT alone (nginx streams to the files service, which counts, limits and writes it); whole upload = createUpload + PUT + completeUpload (write path through Kafka and the persister, then sha256 and type sniffing of the stored bytes).',
        'cp copies a file of the same bytes in the same folder tree, without fsync, like the storage adapter; its source was just written, so it is read from the page cache, as the upload body comes from memory.',
        'Thumbnails: requested all at once; the worker converts up to 4 at a time (one per partition), libvips with one thread each. sharp alone runs the converter\'s own function one at a time in the load generator.',
      ],
      packages: ['sharp', 'kafkajs', 'nginx'],
    };
  } finally {
    await cleanUp();
  }
}
