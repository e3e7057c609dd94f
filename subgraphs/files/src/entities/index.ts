import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The persister writes with SQL; the entity documents the table and gives the ORM its metadata. */
export const FileSchema = defineEntity({
  name: 'File',
  tableName: 'files',
  properties: {
    id: p.uuid().primary(),
    ownerId: p.uuid(),
    name: p.text(),
    mimeType: p.text(),
    size: p.integer(),
    sha256: p.text().nullable(),
    status: p.text(),
    rejectionReason: p.text().nullable(),
    storageKey: p.text(),
    uploadExpiresAt: p.datetime(),
    sourceConversionId: p.uuid().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
  },
});
export type FileEntity = InferEntity<typeof FileSchema>;

export const ConversionSchema = defineEntity({
  name: 'Conversion',
  tableName: 'conversions',
  properties: {
    id: p.uuid().primary(),
    fileId: p.uuid(),
    requesterId: p.uuid(),
    target: p.text(),
    status: p.text(),
    progress: p.float(),
    outputFileId: p.uuid(),
    error: p.text().nullable(),
    version: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type ConversionEntity = InferEntity<typeof ConversionSchema>;

export const entities = [FileSchema, ConversionSchema];
