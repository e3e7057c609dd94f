import { Migration } from '@finder/platform/data';

/**
 * The search filters (specialties, hourly rate, remote) copied into the postings and carried in
 * their rank index, so a filtered one-word search skips non-matching postings inside the index
 * instead of looking up each one's profile (see services/search-postings.ts).
 */
export class Migration0005PostingsFilterColumns extends Migration {
  override name = '0005-postings-filter-columns';

  override up(): void {
    this.addSql('alter table finder.search_postings add column specialties text[], add column hourly_rate integer, add column remote boolean');
    this.addSql(`update finder.search_postings s
                    set specialties = p.specialties, hourly_rate = p.hourly_rate, remote = p.remote
                   from finder.professional_profiles p where p.user_id = s.user_id`);
    this.addSql(`alter table finder.search_postings
                   alter column specialties set not null, alter column hourly_rate set not null, alter column remote set not null`);
    this.addSql('drop index finder.search_postings_rank_idx');
    this.addSql(
      'create unique index search_postings_rank_idx on finder.search_postings (lexeme, rank_key, user_id) include (specialties, hourly_rate, remote)',
    );
  }
}
