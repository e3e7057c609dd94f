import { Migration0001Initial } from './0001-initial.ts';
import { Migration0002Files } from './0002-files.ts';
import { Migration0003Outbox } from './0003-outbox.ts';

/** Every migration, in order. Listed explicitly: no file globbing at run time. */
export const migrations = [
  { name: '0001-initial', class: Migration0001Initial },
  { name: '0002-files', class: Migration0002Files },
  { name: '0003-outbox', class: Migration0003Outbox },
];
