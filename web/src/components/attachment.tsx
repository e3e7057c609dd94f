import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { describeError } from '../errors.ts';
import { bytes } from '../format.ts';
import { FileDocument } from '../operations.ts';
import type { FileItem } from '../types.ts';
import { isThumbnail } from '../upload.ts';

/** Asks for a fresh signed URL (they last minutes) and lets the browser download it. */
async function download(fileId: string): Promise<void> {
  const { file } = await client.request(FileDocument, { id: fileId });
  if (!file?.downloadUrl) throw new Error('not ready');
  const a = document.createElement('a');
  a.href = file.downloadUrl;
  a.download = file.name;
  document.body.append(a);
  a.click();
  a.remove();
}

/** A message's files: thumbnails shown as pictures, every other file as a download. */
export function Attachments({ files }: { files: FileItem[] }) {
  const [problem, setProblem] = useState<string | null>(null);
  if (files.length === 0) return null;
  const thumbnails = files.filter(isThumbnail);
  const others = files.filter((f) => !isThumbnail(f));
  return (
    <div class="attachments">
      {thumbnails.map((t) => t.downloadUrl && <img class="thumbnail" src={t.downloadUrl} alt={`Preview of ${t.name}`} />)}
      {others.map((f) => (
        <button
          class="file"
          data-testid="download"
          onClick={() => {
            setProblem(null);
            download(f.id).catch((err: unknown) => setProblem(describeError(err).message));
          }}
        >
          ⬇ {f.name} <span class="muted">({bytes(f.size)})</span>
        </button>
      ))}
      {problem && (
        <span class="problem" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
