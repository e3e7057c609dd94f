import { useEffect, useState } from 'preact/hooks';
import { client } from '../client.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { Welcome } from '../components/welcome.tsx';
import { SPECIALTIES, specialtyLabel } from '../format.ts';
import { useAction, useLoad, useSession } from '../hooks.ts';
import { MeDocument, UpsertProfessionalProfileDocument } from '../operations.ts';
import { Link } from '../router.tsx';
import type { Specialty } from '@finder/client/operations';

interface Draft {
  headline: string;
  bio: string;
  specialties: string[];
  hourlyRate: string;
  location: string;
  remote: boolean;
  yearsExperience: string;
}

const EMPTY: Draft = { headline: '', bio: '', specialties: [], hourlyRate: '', location: '', remote: true, yearsExperience: '' };

/** A professional's own profile: what businesses find in search. */
export function MyProfile({ welcome }: { welcome: string | null }) {
  const session = useSession();
  const current = useLoad(() => client.request(MeDocument, {}), []);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const p = current.data?.me?.professionalProfile;
    if (p) {
      setDraft({
        headline: p.headline,
        bio: p.bio,
        specialties: [...p.specialties],
        hourlyRate: String(p.hourlyRate),
        location: p.location ?? '',
        remote: p.remote,
        yearsExperience: String(p.yearsExperience),
      });
    }
  }, [current.data]);
  const save = useAction(async () => {
    setSaved(false);
    await client.request(UpsertProfessionalProfileDocument, {
      input: {
        headline: draft.headline.trim(),
        bio: draft.bio.trim(),
        specialties: draft.specialties as Specialty[],
        hourlyRate: Number(draft.hourlyRate),
        location: draft.location.trim() || null,
        remote: draft.remote,
        yearsExperience: Number(draft.yearsExperience),
      },
    });
    setSaved(true);
  });
  if (session?.role !== 'PROFESSIONAL') {
    return (
      <main class="narrow">
        <h1>Your profile</h1>
        <p class="muted">Profiles are for professionals. <Link href="/search">Find one</Link>.</p>
      </main>
    );
  }
  const invalid = (field: string) => ({ 'aria-invalid': save.problem?.field === field });
  const text = (key: 'headline' | 'bio' | 'hourlyRate' | 'location' | 'yearsExperience') => ({
    name: key,
    value: draft[key],
    onInput: (e: { currentTarget: { value: string } }) => setDraft({ ...draft, [key]: e.currentTarget.value }),
    ...invalid(key),
  });
  return (
    <main class="narrow">
      <Welcome welcome={welcome} then="tell businesses what you do." />
      <h1>Your profile</h1>
      <form
        class="card form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <label>
          Headline
          <input {...text('headline')} placeholder="e.g. Fractional CFO for seed-stage startups" />
        </label>
        <label>
          About you
          <textarea rows={4} {...text('bio')} />
        </label>
        <fieldset class="choice" {...invalid('specialties')}>
          <legend>Specialties</legend>
          <div class="checks">
            {SPECIALTIES.map((s) => (
              <label class="inline">
                <input
                  type="checkbox"
                  name="specialty"
                  value={s}
                  checked={draft.specialties.includes(s)}
                  onChange={(e) =>
                    setDraft({ ...draft, specialties: e.currentTarget.checked ? [...draft.specialties, s] : draft.specialties.filter((x) => x !== s) })
                  }
                />
                {specialtyLabel(s)}
              </label>
            ))}
          </div>
        </fieldset>
        <div class="row">
          <label>
            Hourly rate (USD)
            <input type="number" {...text('hourlyRate')} />
          </label>
          <label>
            Years of experience
            <input type="number" {...text('yearsExperience')} />
          </label>
        </div>
        <div class="row">
          <label>
            Location
            <input {...text('location')} placeholder="City, country" />
          </label>
          <label class="inline">
            <input type="checkbox" name="remote" checked={draft.remote} onChange={(e) => setDraft({ ...draft, remote: e.currentTarget.checked })} /> Works
            remotely
          </label>
        </div>
        <ProblemMessage problem={save.problem} />
        {saved && (
          <p class="success" role="status">
            Saved. Businesses can find you now.
          </p>
        )}
        <button type="submit" disabled={save.busy}>
          {save.busy ? 'Saving…' : 'Save profile'}
        </button>
      </form>
    </main>
  );
}
