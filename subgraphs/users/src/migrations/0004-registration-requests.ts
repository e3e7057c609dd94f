import { Migration } from '@finder/platform/data';

/**
 * The outstanding registration link of each email (services/tokens.ts): the hash of its nonce,
 * replaced by a newer request and deleted once used. Kept apart from `users.users`, since the
 * email has no account yet (or has one, which the request must not reveal).
 */
export class Migration0004RegistrationRequests extends Migration {
  override name = '0004-registration-requests';

  override up(): void {
    this.addSql(`create table users.registration_requests (
      email_normalized text primary key,
      nonce_hash text not null,
      requested_at timestamptz not null
    )`);
    this.addSql('create index registration_requests_requested_at_idx on users.registration_requests (requested_at)');
  }
}
