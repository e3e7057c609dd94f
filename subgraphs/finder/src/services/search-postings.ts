/**
 * Search postings: one row per (lexeme, profile) with the score a search for that lexeme alone
 * gives the profile — exactly `round(ts_rank(search_vector, lexeme, 1) × 10⁶)`, as the general
 * search computes it. A one-word search (the common case, typos included once corrected) then
 * reads its best rows straight from the index in rank order instead of ranking every match: a word
 * like "finance" appears in every seeded profile.
 *
 * `rank_key` is minus the score, so the order "score desc, user_id asc" is ascending on both
 * columns and a keyset cursor is one row comparison the index can start from.
 *
 * Each posting also carries its profile's filter columns (specialties, hourly rate, remote), in
 * the rank index too: a filtered one-word search ("accounting", AUDIT, on site) skips the postings
 * that fail the filters inside the index, and looks up only the profiles it returns. Without them
 * it looked up a profile for every posting it passed over (~2,700 for that search on 50,000
 * profiles). Indexes: migrations 0003 and 0005.
 */

/** A tsquery of one lexeme, taken as it is (quoted: no stemming, no operators). */
const lexemeQuery = `('''' || replace(replace(l.lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery`;

/** The columns `selectPostingsSql` yields, in order, for `insert into finder.search_postings (…)`. */
export const postingsColumns = 'lexeme, user_id, rank_key, specialties, hourly_rate, remote';

/** The postings of the profiles `p` selected by the caller's where clause. */
export const selectPostingsSql = `
  select l.lexeme, p.user_id, -round(ts_rank(p.search_vector, ${lexemeQuery}, 1) * 1000000)::integer as rank_key,
         p.specialties, p.hourly_rate, p.remote
    from finder.professional_profiles p
   cross join lateral unnest(tsvector_to_array(p.search_vector)) as l(lexeme)`;
