import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { describeError } from '../errors.ts';
import { bytes } from '../format.ts';
import { FileDocument } from '../operations.ts';
import type { FileItem } from '../types.ts';
import { isThumbnail } from '../upload.ts';

/** A signed URL still good for this long is used as it came with the message. */
const URL_MARGIN_MS = 30_000;

/**
 * Lets the browser download a file: with the signed URL that came with the message while it is
 * fresh, else with a new one (they last minutes).
 */
async function download(file: FileItem): Promise<void> {
  let url = file.downloadUrl;
  if (!url || !file.downloadUrlExpiresAt || Date.parse(file.downloadUrlExpiresAt) - Date.now() < URL_MARGIN_MS) {
    const { file: fresh } = await client.request(FileDocument, { id: file.id });
    url = fresh?.downloadUrl;
  }
  if (!url) throw new Error('not ready');
  const a = document.createElement('a');
  a.href = url;
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
      {thumbnails.map((t) => t.downloadUrl && <img key={t.id} class="thumbnail" src={t.downloadUrl} alt={`Preview of ${t.name}`} />)}
      {others.map((f) => (
        <button
          class="file"
          data-testid="download"
          onClick={() => {
            setProblem(null);
            download(f).catch((err: unknown) => setProblem(describeError(err).message));
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
