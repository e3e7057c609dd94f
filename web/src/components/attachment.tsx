import { useEffect, useState } from 'preact/hooks';
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

/**
 * A thumbnail shared a moment ago may not be visible to this reader yet: files learns of the share
 * from chat's facts, a second or so after the message arrives live. Until a URL comes, ask again.
 */
function Thumbnail({ file }: { file: FileItem }) {
  const [url, setUrl] = useState(file.downloadUrl ?? null);
  useEffect(() => {
    if (url) return;
    let stopped = false;
    let attempt = 0;
    const ask = async () => {
      while (!stopped && attempt++ < 20) {
        const { file: fresh } = await client.request(FileDocument, { id: file.id }).catch(() => ({ file: null }));
        if (fresh?.downloadUrl) return void (stopped || setUrl(fresh.downloadUrl));
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    void ask();
    return () => void (stopped = true);
  }, [file.id, url]);
  return url ? <img class="thumbnail" src={url} alt={`Preview of ${file.name}`} /> : null;
}

/** A message's files: thumbnails shown as pictures, every other file as a download. */
export function Attachments({ files }: { files: FileItem[] }) {
  const [problem, setProblem] = useState<string | null>(null);
  if (files.length === 0) return null;
  const thumbnails = files.filter(isThumbnail);
  const others = files.filter((f) => !isThumbnail(f));
  return (
    <div class="attachments">
      {thumbnails.map((t) => (
        <Thumbnail key={t.id} file={t} />
      ))}
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
