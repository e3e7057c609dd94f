export const SPECIALTIES = ['ACCOUNTING', 'TAX', 'CFO', 'REVENUE', 'BOOKKEEPING', 'AUDIT', 'PAYROLL', 'FPA'] as const;

const SPECIALTY_LABELS: Record<string, string> = {
  ACCOUNTING: 'Accounting',
  TAX: 'Tax',
  CFO: 'Fractional CFO',
  REVENUE: 'Revenue',
  BOOKKEEPING: 'Bookkeeping',
  AUDIT: 'Audit',
  PAYROLL: 'Payroll',
  FPA: 'FP&A',
};

export const specialtyLabel = (s: string) => SPECIALTY_LABELS[s] ?? s;

export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 0 }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function time(iso: string): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
