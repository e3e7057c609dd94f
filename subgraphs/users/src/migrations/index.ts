import { Migration0001Initial } from './0001-initial.ts';
import { Migration0002Outbox } from './0002-outbox.ts';
import { Migration0003LinkNonces } from './0003-link-nonces.ts';
import { Migration0004RegistrationRequests } from './0004-registration-requests.ts';

/** Every migration, in order. Listed explicitly: no file globbing at run time. */
export const migrations = [
  { name: '0001-initial', class: Migration0001Initial },
  { name: '0002-outbox', class: Migration0002Outbox },
  { name: '0003-link-nonces', class: Migration0003LinkNonces },
  { name: '0004-registration-requests', class: Migration0004RegistrationRequests },
];
