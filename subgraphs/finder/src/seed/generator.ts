import { createHash } from 'node:crypto';
import { seededRandom } from '@finder/platform/data';
import { SPECIALTIES, type Specialty } from '../models.ts';
import type { ProfessionalProfileRow } from '../persister.ts';

/**
 * Deterministic, realistic-looking marketplace data: the same seed and index always give the same
 * person, id included, so a seed can be re-run (it upserts) and benchmarks compare like with like.
 */

/** A stable UUID (version 4 layout) derived from a label. */
export function seedUuid(label: string): string {
  const h = createHash('sha256').update(label).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Maria', 'Liam', 'Olivia', 'Noah', 'Emma', 'Mateo', 'Sofia', 'Wei', 'Aisha', 'Kenji', 'Priya', 'Lucas', 'Chloe', 'Omar', 'Elena', 'Jonas', 'Fatima', 'Diego', 'Hannah', 'Ravi', 'Ingrid', 'Samuel', 'Yara', 'Tomás', 'Nora', 'Felix', 'Amara'];
const LAST = ['Smith', 'Garcia', 'Chen', 'Müller', 'Okafor', 'Rossi', 'Patel', 'Kowalski', 'Nguyen', 'Silva', 'Johansson', 'Haddad', 'Tanaka', 'Dubois', 'Kim', "O'Brien", 'Novak', 'Fischer', 'Costa', 'Larsen', 'Mendes', 'Singh', 'Ivanova', 'Brown', 'Ahmed'];
const CITIES = ['New York', 'London', 'Berlin', 'Toronto', 'Austin', 'Amsterdam', 'Lisbon', 'Singapore', 'Sydney', 'Dublin', 'Chicago', 'Madrid', 'Stockholm', 'Denver', 'Zurich', 'Warsaw', 'Boston', 'Paris', 'Seattle', 'Cape Town'];
const INDUSTRIES = ['SaaS', 'E-commerce', 'Healthcare', 'Manufacturing', 'Fintech', 'Logistics', 'Hospitality', 'Construction', 'Media', 'Education', 'Biotech', 'Retail'];
const COMPANY_A = ['North', 'Blue', 'Bright', 'Iron', 'Green', 'Silver', 'Summit', 'Harbor', 'Cedar', 'Nova', 'Atlas', 'Pioneer'];
const COMPANY_B = ['wind', 'stone', 'leaf', 'bridge', 'field', 'works', 'labs', 'point', 'wave', 'forge', 'line', 'path'];
const SIZES = ['1-10', '11-50', '51-200', '201-500', '500+'];

const ROLE: Record<Specialty, string[]> = {
  ACCOUNTING: ['Certified public accountant', 'Accountant', 'Senior accountant', 'Chartered accountant'],
  TAX: ['Tax advisor', 'Tax consultant', 'International tax specialist', 'Tax preparer'],
  CFO: ['Fractional CFO', 'Interim CFO', 'Part-time CFO', 'Finance director'],
  REVENUE: ['Revenue operations lead', 'Revenue recognition specialist', 'Pricing and billing consultant'],
  BOOKKEEPING: ['Bookkeeper', 'Cloud bookkeeper', 'Full-charge bookkeeper'],
  AUDIT: ['Auditor', 'Internal audit consultant', 'External audit manager'],
  PAYROLL: ['Payroll specialist', 'Payroll manager', 'Multi-state payroll consultant'],
  FPA: ['FP&A analyst', 'FP&A lead', 'Financial planning consultant'],
};
const FOR_WHOM = ['for startups', 'for small businesses', 'for SaaS companies', 'for e-commerce brands', 'for nonprofits', 'for growing teams', 'for healthcare practices', 'for manufacturers'];
const BASE_RATE: Record<Specialty, number> = { ACCOUNTING: 90, TAX: 110, CFO: 220, REVENUE: 140, BOOKKEEPING: 55, AUDIT: 130, PAYROLL: 70, FPA: 120 };
const SENTENCES: Record<Specialty, string[]> = {
  ACCOUNTING: ['I close the books monthly and prepare GAAP financial statements.', 'I clean up messy ledgers and reconcile accounts.', 'I help founders understand their accounting and cash flow.'],
  TAX: ['I prepare federal and state tax returns and plan ahead for tax season.', 'I advise on sales tax, VAT and cross-border tax questions.', 'I handle R&D tax credits and entity structuring.'],
  CFO: ['I build financial models, board decks and fundraising materials.', 'I lead finance teams through growth and due diligence.', 'I set up budgeting, forecasting and KPI dashboards for leadership.'],
  REVENUE: ['I design pricing, billing and revenue recognition under ASC 606.', 'I fix quote-to-cash processes and subscription billing.', 'I analyse churn, expansion revenue and unit economics.'],
  BOOKKEEPING: ['I keep your books current in QuickBooks and Xero.', 'I manage accounts payable, receivables and bank reconciliations.', 'I categorize transactions weekly so you always know where you stand.'],
  AUDIT: ['I prepare companies for their first external audit.', 'I review internal controls and SOX compliance.', 'I run audit readiness projects and document processes.'],
  PAYROLL: ['I run payroll across multiple states and countries.', 'I set up benefits, payroll taxes and compliance filings.', 'I migrate payroll providers without missed paychecks.'],
  FPA: ['I build three-statement models and rolling forecasts.', 'I run budgeting cycles and variance analysis.', 'I turn data into planning insights for executives.'],
};

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** A generated professional: the profile the persister stores, plus the account it belongs to. */
export type SeedProfessional = Omit<ProfessionalProfileRow, 'at'> & { email: string; displayName: string };

export interface SeedBusiness {
  userId: string;
  email: string;
  displayName: string;
  companyName: string;
  industry: string;
  size: string;
}

export function professional(seed: number, i: number): SeedProfessional {
  const r = seededRandom(seed * 1_000_003 + i * 2 + 1);
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const main = pick(r, SPECIALTIES);
  const specialties = [main];
  for (let k = Math.floor(r() * 3); k > 0; k--) {
    const extra = pick(r, SPECIALTIES);
    if (!specialties.includes(extra)) specialties.push(extra);
  }
  const years = 1 + Math.floor(r() * 30);
  const city = pick(r, CITIES);
  const sentences = specialties.flatMap((s) => [pick(r, SENTENCES[s])]);
  const hourlyRate = Math.round((BASE_RATE[main] * (0.6 + r() * 0.8) + years * 2) / 5) * 5;
  return {
    userId: seedUuid(`finder-seed:${seed}:professional:${i}`),
    email: `pro-${String(i).padStart(6, '0')}@seed.finder.local`,
    displayName: `${first} ${last}`,
    headline: `${pick(r, ROLE[main])} ${pick(r, FOR_WHOM)}`,
    bio: `${first} here, ${years} years in finance, based in ${city}. ${sentences.join(' ')}`,
    specialties,
    hourlyRate,
    currency: 'USD',
    location: city,
    remote: r() < 0.6,
    yearsExperience: years,
  };
}

export function business(seed: number, i: number): SeedBusiness {
  const r = seededRandom(seed * 1_000_003 + i * 2 + 2);
  const companyName = `${pick(r, COMPANY_A)}${pick(r, COMPANY_B)} ${pick(r, ['Inc.', 'Ltd', 'GmbH', 'Co.', 'Group'])}`;
  return {
    userId: seedUuid(`finder-seed:${seed}:business:${i}`),
    email: `biz-${String(i).padStart(6, '0')}@seed.finder.local`,
    displayName: `${pick(r, FIRST)} ${pick(r, LAST)}, ${companyName}`,
    companyName,
    industry: pick(r, INDUSTRIES),
    size: pick(r, SIZES),
  };
}
