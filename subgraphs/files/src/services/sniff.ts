/**
 * What the bytes really are, from their first bytes (and, for text, all of them). A small,
 * explicit table: anything not in it is refused, and executables never pass whatever their name.
 */
export type Sniffed =
  | { kind: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'application/pdf' | 'application/zip' | 'text' }
  | { kind: 'executable'; what: string }
  | { kind: 'unknown' };

const startsWith = (head: Buffer, bytes: number[], at = 0) => head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

const MAGIC: { kind: Exclude<Sniffed['kind'], 'executable' | 'unknown' | 'text'>; test: (h: Buffer) => boolean }[] = [
  { kind: 'image/png', test: (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { kind: 'image/jpeg', test: (h) => startsWith(h, [0xff, 0xd8, 0xff]) },
  { kind: 'image/gif', test: (h) => startsWith(h, ascii('GIF87a')) || startsWith(h, ascii('GIF89a')) },
  { kind: 'image/webp', test: (h) => startsWith(h, ascii('RIFF')) && startsWith(h, ascii('WEBP'), 8) },
  { kind: 'application/pdf', test: (h) => startsWith(h, ascii('%PDF-')) },
  { kind: 'application/zip', test: (h) => startsWith(h, [0x50, 0x4b, 0x03, 0x04]) },
];

const EXECUTABLES: { what: string; test: (h: Buffer) => boolean }[] = [
  { what: 'ELF executable', test: (h) => startsWith(h, [0x7f, 0x45, 0x4c, 0x46]) },
  { what: 'Windows executable', test: (h) => startsWith(h, ascii('MZ')) },
  { what: 'Mach-O executable', test: (h) => [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe], [0xca, 0xfe, 0xba, 0xbe]].some((m) => startsWith(h, m)) },
  { what: 'script', test: (h) => startsWith(h, ascii('#!')) },
  { what: 'WebAssembly module', test: (h) => startsWith(h, [0x00, 0x61, 0x73, 0x6d]) },
];

/** Feed every chunk, then ask for the verdict. */
export function createSniffer() {
  let head = Buffer.alloc(0);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = true;
  return {
    push(chunk: Buffer) {
      if (head.length < 64) head = Buffer.concat([head, chunk.subarray(0, 64 - head.length)]);
      if (!text) return;
      try {
        const s = decoder.decode(chunk, { stream: true });
        // Text means no NUL and no control characters other than tab, newlines and form feed.
        // eslint-disable-next-line no-control-regex -- matching control characters is the point
        if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(s)) text = false;
      } catch {
        text = false;
      }
    },
    result(): Sniffed {
      const executable = EXECUTABLES.find((e) => e.test(head));
      if (executable) return { kind: 'executable', what: executable.what };
      const magic = MAGIC.find((m) => m.test(head));
      if (magic) return { kind: magic.kind };
      if (text) {
        try {
          decoder.decode();
        } catch {
          return { kind: 'unknown' };
        }
        return { kind: 'text' };
      }
      return { kind: 'unknown' };
    },
  };
}

const OFFICE = [
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
];
const TEXT = ['text/plain', 'text/csv', 'text/markdown', 'application/json'];

/** Declared type → what its bytes must sniff as. These are the only accepted types. */
export const ACCEPTED_TYPES: Record<string, Sniffed['kind']> = {
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/gif': 'image/gif',
  'image/webp': 'image/webp',
  'application/pdf': 'application/pdf',
  'application/zip': 'application/zip',
  ...Object.fromEntries(OFFICE.map((t) => [t, 'application/zip'])),
  ...Object.fromEntries(TEXT.map((t) => [t, 'text'])),
};

/**
 * File name extensions of each accepted type, the first one canonical. A download's name must end
 * in one of its type's (see downloadName in transfer.ts), so what a browser or desktop does with
 * the saved file follows the checked type, never an extension the uploader chose (`.html`, `.svg`).
 */
export const TYPE_EXTENSIONS: Record<string, string[]> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
  'application/zip': ['zip'],
  [OFFICE[0]!]: ['docx'],
  [OFFICE[1]!]: ['xlsx'],
  [OFFICE[2]!]: ['pptx'],
  'text/plain': ['txt', 'text', 'log'],
  'text/csv': ['csv'],
  'text/markdown': ['md', 'markdown'],
  'application/json': ['json'],
};

/** Normalizes a declared type (case, parameters, the common image/jpg alias). */
export function normalizeMimeType(raw: string): string {
  const type = raw.split(';')[0]!.trim().toLowerCase();
  return type === 'image/jpg' ? 'image/jpeg' : type;
}

/**
 * The content type the file is stored and served with, or why it is refused. The declared type is
 * kept when the bytes are of its family (a CSV stays text/csv), otherwise the upload is rejected.
 */
export function verifyType(declared: string, sniffed: Sniffed): { ok: true; mimeType: string } | { ok: false; reason: string } {
  if (sniffed.kind === 'executable') return { ok: false, reason: `The content is an executable (${sniffed.what}), never accepted` };
  if (sniffed.kind === 'unknown') return { ok: false, reason: 'The content is not of any accepted type' };
  const expected = ACCEPTED_TYPES[declared];
  if (expected !== sniffed.kind) {
    return { ok: false, reason: `Declared ${declared} but the content is ${sniffed.kind === 'text' ? 'text' : sniffed.kind}` };
  }
  return { ok: true, mimeType: declared };
}

export const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
