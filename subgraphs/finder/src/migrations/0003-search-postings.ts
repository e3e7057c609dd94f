import { Migration } from '@finder/platform/orm';
import { createPostingsIndexesSql, createPostingsTableSql, selectPostingsSql } from '../services/search-postings.ts';

/** Precomputed one-word scores, so broad searches stop ranking every matching profile. */
export class Migration0003SearchPostings extends Migration {
  override name = '0003-search-postings';

  override up(): void {
    this.addSql(createPostingsTableSql);
    this.addSql(`insert into finder.search_postings (lexeme, user_id, rank_key) ${selectPostingsSql}`);
    for (const sql of createPostingsIndexesSql) this.addSql(sql);
  }
}
