import { Migration0001Initial } from './0001-initial.ts';
import { Migration0002Outbox } from './0002-outbox.ts';
import { Migration0003SearchPostings } from './0003-search-postings.ts';
import { Migration0004MessageNotifications } from './0004-message-notifications.ts';
import { Migration0005PostingsFilterColumns } from './0005-postings-filter-columns.ts';

/** Every migration, in order. Listed explicitly: no file globbing at run time. */
export const migrations = [
  { name: '0001-initial', class: Migration0001Initial },
  { name: '0002-outbox', class: Migration0002Outbox },
  { name: '0003-search-postings', class: Migration0003SearchPostings },
  { name: '0004-message-notifications', class: Migration0004MessageNotifications },
  { name: '0005-postings-filter-columns', class: Migration0005PostingsFilterColumns },
];
