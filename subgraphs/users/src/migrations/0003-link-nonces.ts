import { Migration } from '@finder/platform/data';

/**
 * The nonces of the outstanding verification and reset links (services/tokens.ts), hashed; null
 * once used. Links mailed before this migration carry no nonce and stop working.
 */
export class Migration0003LinkNonces extends Migration {
  override name = '0003-link-nonces';

  override up(): void {
    this.addSql(`alter table users.users
      add column email_verification_nonce_hash text,
      add column password_reset_nonce_hash text`);
  }
}
