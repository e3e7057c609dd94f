/**
 * The note a new account lands with: `?welcome=1` after sign-up (a verification mail is on its
 * way), `?welcome=verified` after a mailed registration link (the link verified the email).
 */
export function Welcome({ welcome, then }: { welcome: string | null; then?: string }) {
  if (welcome === null) return null;
  const verified = welcome === 'verified';
  const next = then && (verified ? then.replace(/^./, (c) => c.toUpperCase()) : `Then ${then}`);
  return (
    <p class="notice" role="status">
      Welcome to Finder! {verified ? '' : 'We sent you a mail: open its link to verify your email. '}
      {next}
    </p>
  );
}
