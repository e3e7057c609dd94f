import type { Specialty } from '../models.ts';

/**
 * Words a searcher may use for each specialty. They are indexed with the profile (at the weight of
 * the headline), so "accountant" finds ACCOUNTING even when the profile's text never says it.
 */
export const SPECIALTY_TERMS: Record<Specialty, string> = {
  ACCOUNTING: 'accounting accountant accountancy cpa',
  TAX: 'tax taxes taxation',
  CFO: 'cfo chief financial officer finance',
  REVENUE: 'revenue operations pricing billing',
  BOOKKEEPING: 'bookkeeping bookkeeper books',
  AUDIT: 'audit auditing auditor assurance',
  PAYROLL: 'payroll salaries',
  FPA: 'fpa financial planning analysis forecasting budgeting',
};

export const specialtyTerms = (specialties: readonly Specialty[]): string => specialties.map((s) => SPECIALTY_TERMS[s]).join(' ');
