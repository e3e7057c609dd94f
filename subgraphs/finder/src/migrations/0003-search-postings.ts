import { Migration } from '@finder/platform/data';

/**
 * Precomputed one-word scores, so broad searches stop ranking every matching profile.
 * Written out in full (not imported from the search code): a migration is history and must
 * build the same table whatever the code looks like later; 0005 adds the filter columns.
 */
export class Migration0003SearchPostings extends Migration {
  override name = '0003-search-postings';

  override up(): void {
    this.addSql('create table finder.search_postings (lexeme text not null, user_id uuid not null, rank_key integer not null)');
    this.addSql(`insert into finder.search_postings (lexeme, user_id, rank_key)
      select l.lexeme, p.user_id,
             -round(ts_rank(p.search_vector, ('''' || replace(replace(l.lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery, 1) * 1000000)::integer
        from finder.professional_profiles p
       cross join lateral unnest(tsvector_to_array(p.search_vector)) as l(lexeme)`);
    this.addSql('create unique index search_postings_rank_idx on finder.search_postings (lexeme, rank_key, user_id)');
    this.addSql('create index search_postings_user_idx on finder.search_postings (user_id, lexeme) include (rank_key)');
  }
}
