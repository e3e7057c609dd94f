import { useState } from 'preact/hooks';
import { client } from '../client.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { Welcome } from '../components/welcome.tsx';
import { money, SPECIALTIES, specialtyLabel } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { SearchProfessionalsDocument } from '../operations.ts';
import type { Specialty } from '@finder/client/operations';
import { Link, navigate } from '../router.tsx';

interface Filters {
  q: string;
  specialty: string;
  maxRate: string;
  remote: boolean;
}

function filtersFrom(url: URL): Filters {
  const p = url.searchParams;
  return { q: p.get('q') ?? '', specialty: p.get('specialty') ?? '', maxRate: p.get('maxRate') ?? '', remote: p.get('remote') === '1' };
}

function hrefFor(f: Filters): string {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.specialty) p.set('specialty', f.specialty);
  if (f.maxRate) p.set('maxRate', f.maxRate);
  if (f.remote) p.set('remote', '1');
  const qs = p.toString();
  return qs ? `/search?${qs}` : '/search';
}

/** Search with filters; the filters live in the URL so results can be linked and go back works. */
export function Search({ url }: { url: URL }) {
  const applied = filtersFrom(url);
  const [form, setForm] = useState(applied);
  const [pages, setPages] = useState<string[]>([]);
  const key = hrefFor(applied);
  const results = useLoad(
    () =>
      client.request(SearchProfessionalsDocument, {
        query: applied.q || undefined,
        specialties: applied.specialty ? [applied.specialty as Specialty] : undefined,
        maxHourlyRate: applied.maxRate ? Number(applied.maxRate) : undefined,
        remote: applied.remote ? true : undefined,
        first: 20,
        after: pages.at(-1),
      }),
    [key, pages.length],
  );
  const connection = results.data?.searchProfessionals;
  return (
    <main>
      <Welcome welcome={url.searchParams.get('welcome')} />
      <h1>Find a financial professional</h1>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPages([]);
          navigate(hrefFor(form));
        }}
      >
        <input
          name="q"
          type="search"
          placeholder="What do you need? e.g. startup tax, fractional CFO"
          value={form.q}
          onInput={(e) => setForm({ ...form, q: e.currentTarget.value })}
        />
        <select name="specialty" value={form.specialty} onChange={(e) => setForm({ ...form, specialty: e.currentTarget.value })}>
          <option value="">Any specialty</option>
          {SPECIALTIES.map((s) => (
            <option value={s}>{specialtyLabel(s)}</option>
          ))}
        </select>
        <input
          name="maxRate"
          type="number"
          min="0"
          placeholder="Max rate / hour"
          value={form.maxRate}
          onInput={(e) => setForm({ ...form, maxRate: e.currentTarget.value })}
        />
        <label class="inline">
          <input type="checkbox" name="remote" checked={form.remote} onChange={(e) => setForm({ ...form, remote: e.currentTarget.checked })} /> Remote
        </label>
        <button type="submit">Search</button>
      </form>
      <ProblemMessage problem={results.problem} />
      {results.loading && !connection && <p class="muted">Searching…</p>}
      {connection && connection.edges.length === 0 && <p class="muted">No professionals match. Try fewer filters.</p>}
      <ul class="results">
        {connection?.edges.map(({ node: p }) => (
          <li class="card result" key={p.user.id} data-testid="result">
            <div class="result-head">
              <Link href={`/professionals/${p.user.id}`} class="name">
                {p.user.displayName}
              </Link>
              <span class="rate">{money(p.hourlyRate, p.currency)}/h</span>
            </div>
            <p class="headline">{p.headline}</p>
            <p class="meta">
              {p.specialties.map(specialtyLabel).join(' · ')}
              {p.location ? ` — ${p.location}` : ''}
              {p.remote ? ' — remote' : ''}
              {p.rating != null ? ` — ★ ${p.rating.toFixed(1)} (${p.reviewCount})` : ''}
            </p>
          </li>
        ))}
      </ul>
      <div class="pager">
        {pages.length > 0 && <button onClick={() => setPages(pages.slice(0, -1))}>Previous</button>}
        {connection?.pageInfo.hasNextPage && connection.pageInfo.endCursor && (
          <button onClick={() => setPages([...pages, connection.pageInfo.endCursor!])}>Next</button>
        )}
      </div>
    </main>
  );
}
