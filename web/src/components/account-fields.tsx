import type { Role } from '../types.ts';

/** The account type, as sign-up and the completion of a mailed registration ask it. */
export function RoleChoice({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  const radio = (role: Role) => (
    <input type="radio" name="role" value={role} checked={value === role} onChange={() => onChange(role)} />
  );
  return (
    <fieldset class="choice">
      <legend>I am</legend>
      <label>{radio('BUSINESS')} a business looking for help</label>
      <label>{radio('PROFESSIONAL')} a financial professional</label>
    </fieldset>
  );
}

interface PasswordProps {
  name: 'password' | 'newPassword';
  label: string;
  value: string;
  onInput: (value: string) => void;
  /** The server named this field. */
  invalid: boolean;
}

/** A new password, with the rule the server applies (it names the field when refused). */
export function NewPassword({ name, label, value, onInput, invalid }: PasswordProps) {
  return (
    <label>
      {label} <span class="hint">(at least 10 characters)</span>
      <input
        name={name}
        type="password"
        autocomplete="new-password"
        required
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        {...(invalid ? { 'aria-invalid': true } : {})}
      />
    </label>
  );
}

/** The account's email, as sign-in, sign-up and the password-reset request ask it. */
export function EmailField({ value, onInput, invalid = false }: { value: string; onInput: (value: string) => void; invalid?: boolean }) {
  return (
    <label>
      Email
      <input
        name="email"
        type="email"
        autocomplete="username"
        required
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        {...(invalid ? { 'aria-invalid': true } : {})}
      />
    </label>
  );
}
