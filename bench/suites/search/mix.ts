/**
 * The query mix: what a business types into the search box, with typos, and the filter panel.
 * Each entry is sent in turn by every client of the load generator; `nextPage` entries ask for the
 * second page (the cursor comes from an unmeasured first request).
 */
export interface MixEntry {
  kind: 'text' | 'typo' | 'filter' | 'next page';
  label: string;
  args: { query?: string; specialties?: string[]; maxHourlyRate?: number; remote?: boolean; first?: number };
}

export const SEARCH_MIX: MixEntry[] = [
  { kind: 'text', label: 'accounting', args: { query: 'accounting' } },
  { kind: 'text', label: 'finance (every profile)', args: { query: 'finance' } },
  { kind: 'text', label: 'tax advisor', args: { query: 'tax advisor' } },
  { kind: 'text', label: 'fractional cfo', args: { query: 'fractional cfo' } },
  { kind: 'text', label: 'payroll', args: { query: 'payroll' } },
  { kind: 'typo', label: 'acounting', args: { query: 'acounting' } },
  { kind: 'typo', label: 'bookeeper', args: { query: 'bookeeper' } },
  { kind: 'typo', label: 'fractionl cfo', args: { query: 'fractionl cfo' } },
  { kind: 'typo', label: 'revenu recogniton', args: { query: 'revenu recogniton' } },
  { kind: 'filter', label: 'PAYROLL, ≤ 80/h', args: { specialties: ['PAYROLL'], maxHourlyRate: 80 } },
  { kind: 'filter', label: 'remote, ≤ 60/h', args: { remote: true, maxHourlyRate: 60 } },
  { kind: 'filter', label: 'tax, remote, ≤ 120/h', args: { query: 'tax', remote: true, maxHourlyRate: 120 } },
  { kind: 'filter', label: 'accounting, AUDIT, on site', args: { query: 'accounting', specialties: ['AUDIT'], remote: false } },
  { kind: 'next page', label: 'finance, page 2', args: { query: 'finance' } },
  { kind: 'next page', label: 'CFO or FPA, page 2', args: { specialties: ['CFO', 'FPA'] } },
];

export const SEARCH_DOCUMENT = `query Search($query: String, $specialties: [Specialty!], $maxHourlyRate: Int, $remote: Boolean, $first: Int, $after: String) {
  searchProfessionals(query: $query, specialties: $specialties, maxHourlyRate: $maxHourlyRate, remote: $remote, first: $first, after: $after) {
    edges { cursor node { headline specialties hourlyRate currency location remote yearsExperience rating reviewCount } }
    pageInfo { hasNextPage endCursor }
  }
}`;
