import { describe, expect, it } from 'vitest';
import { createUrlSigner } from '../src/services/signing.ts';
import { createSniffer, verifyType } from '../src/services/sniff.ts';
import { contentDisposition, downloadName } from '../src/services/transfer.ts';
import { fileNameSchema } from '../src/services/validation.ts';

const sniff = (...chunks: Buffer[]) => {
  const sniffer = createSniffer();
  for (const chunk of chunks) sniffer.push(chunk);
  return sniffer.result();
};

describe('type sniffing', () => {
  it('recognizes the accepted types from their bytes', () => {
    expect(sniff(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]))).toEqual({ kind: 'image/png' });
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toEqual({ kind: 'image/jpeg' });
    expect(sniff(Buffer.from('GIF89a....'))).toEqual({ kind: 'image/gif' });
    expect(sniff(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 '))).toEqual({ kind: 'image/webp' });
    expect(sniff(Buffer.from('%PDF-1.4\n'))).toEqual({ kind: 'application/pdf' });
    expect(sniff(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14]))).toEqual({ kind: 'application/zip' });
    expect(sniff(Buffer.from('name,amount\n'), Buffer.from('Zoë,12\n'))).toEqual({ kind: 'text' });
  });

  it('never accepts executables, whatever they are called', () => {
    for (const head of [[0x7f, 0x45, 0x4c, 0x46], [0x4d, 0x5a, 0x90, 0x00], [0xcf, 0xfa, 0xed, 0xfe], [0x23, 0x21, 0x2f, 0x62]]) {
      const verdict = verifyType('image/png', sniff(Buffer.from(head)));
      expect(verdict.ok).toBe(false);
    }
    expect(verifyType('text/plain', sniff(Buffer.from('#!/bin/sh\nrm -rf /\n')))).toMatchObject({ ok: false, reason: expect.stringContaining('executable') });
  });

  it('keeps the declared type within its family and rejects a mismatch', () => {
    expect(verifyType('text/csv', { kind: 'text' })).toEqual({ ok: true, mimeType: 'text/csv' });
    expect(verifyType('application/vnd.openxmlformats-officedocument.wordprocessingml.document', { kind: 'application/zip' }).ok).toBe(true);
    expect(verifyType('image/png', { kind: 'image/jpeg' }).ok).toBe(false);
    // Binary that is not text (a NUL, invalid UTF-8 split across chunks) is unknown.
    expect(sniff(Buffer.from('abc\u0000def'))).toEqual({ kind: 'unknown' });
    expect(sniff(Buffer.from([0x61, 0xc3]), Buffer.from([0x28]))).toEqual({ kind: 'unknown' });
    expect(sniff(Buffer.from('Zo'), Buffer.from([0xc3]), Buffer.from([0xab]))).toEqual({ kind: 'text' });
  });
});

describe('file names', () => {
  it('refuses traversal, separators, control characters and overlong names', () => {
    for (const bad of ['../x', '..', 'a/b', 'a\\b', 'x\u0000', 'tab\there', 'rtl\u202egnp.exe', 'é'.repeat(128), '   ']) {
      expect(fileNameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(fileNameSchema.parse('  Report (final) v2.pdf ')).toBe('Report (final) v2.pdf');
    expect(fileNameSchema.parse('.env')).toBe('.env');
  });

  it('serves names safely in Content-Disposition', () => {
    expect(contentDisposition('a "quoted" é.txt')).toBe(`attachment; filename="a _quoted_ _.txt"; filename*=UTF-8''a%20%22quoted%22%20%C3%A9.txt`);
  });

  it('downloads a file under a name ending in an extension of its checked type', () => {
    expect(downloadName('page.html', 'text/plain')).toBe('page.html.txt');
    expect(downloadName('drawing.svg', 'text/plain')).toBe('drawing.svg.txt');
    expect(downloadName('.env', 'text/plain')).toBe('.env.txt');
    expect(downloadName('README', 'text/markdown')).toBe('README.md');
    expect(downloadName('photo.JPEG', 'image/jpeg')).toBe('photo.JPEG');
    expect(downloadName('photo.jpg.html', 'image/jpeg')).toBe('photo.jpg.html.jpg');
    expect(downloadName('report.pdf', 'application/pdf')).toBe('report.pdf');
    expect(downloadName('Quarterly report é.png', 'image/png')).toBe('Quarterly report é.png');
    expect(downloadName('data.csv', 'text/csv')).toBe('data.csv');
  });
});

describe('signed URLs', () => {
  const signer = createUrlSigner('s'.repeat(40), 'https://api.example.com/');
  const id = '0190f0e0-0000-7000-8000-000000000001';
  const params = (u: string) => new URL(u).searchParams;

  it('works for its file, operation and time only', () => {
    const now = Date.now();
    const url = signer.url('upload', id, now + 60_000);
    expect(url.startsWith(`https://api.example.com/files/upload/${id}?expires=`)).toBe(true);
    expect(signer.check('upload', id, params(url), now)).toBeNull();
    expect(signer.check('download', id, params(url), now)).toBe('invalid');
    expect(signer.check('upload', id.replace(/1$/, '2'), params(url), now)).toBe('invalid');
    expect(signer.check('upload', id, params(url), now + 120_000)).toBe('expired');
    const tampered = new URLSearchParams(params(url));
    tampered.set('expires', String(Number(tampered.get('expires')) + 1));
    expect(signer.check('upload', id, tampered, now)).toBe('invalid');
    expect(signer.check('upload', id, new URLSearchParams(), now)).toBe('invalid');
  });
});
