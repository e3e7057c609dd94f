import { useEffect } from 'preact/hooks';
import { Header } from './components/header.tsx';
import { useSession } from './hooks.ts';
import { startLive } from './live.ts';
import { CompleteRegistration } from './pages/complete-registration.tsx';
import { Conversation } from './pages/conversation.tsx';
import { Conversations } from './pages/conversations.tsx';
import { Engagements } from './pages/engagements.tsx';
import { MyProfile } from './pages/my-profile.tsx';
import { Notifications } from './pages/notifications.tsx';
import { Profile } from './pages/profile.tsx';
import { ResetPassword } from './pages/reset-password.tsx';
import { Search } from './pages/search.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { SignUp } from './pages/sign-up.tsx';
import { VerifyEmail } from './pages/verify-email.tsx';
import { match, navigate, useLocation } from './router.tsx';

/** Pages anyone may open; every other path asks to sign in first. */
const PUBLIC = ['/sign-in', '/sign-up', '/verify-email', '/complete-registration', '/reset-password'];

function Page({ url, signedIn }: { url: URL; signedIn: boolean }) {
  const path = url.pathname;
  if (path === '/verify-email') return <VerifyEmail token={url.searchParams.get('token')} />;
  if (path === '/complete-registration') return <CompleteRegistration token={url.searchParams.get('token')} />;
  if (path === '/reset-password') return <ResetPassword token={url.searchParams.get('token')} />;
  if (path === '/sign-up') return <SignUp />;
  if (path === '/sign-in') return <SignIn next={url.searchParams.get('next')} reset={url.searchParams.has('reset')} />;
  if (!signedIn) return null;
  if (path === '/search') return <Search url={url} />;
  if (path === '/engagements') return <Engagements />;
  if (path === '/conversations') return <Conversations />;
  if (path === '/notifications') return <Notifications />;
  if (path === '/profile') return <MyProfile welcome={url.searchParams.get('welcome')} />;
  let params = match('/professionals/:id', path);
  if (params) return <Profile id={params.id!} />;
  params = match('/conversations/:id', path);
  if (params) return <Conversation id={params.id!} key={params.id} />;
  return (
    <main class="narrow">
      <h1>Page not found</h1>
      <p class="muted">There is nothing at this address.</p>
    </main>
  );
}

export function App() {
  const url = useLocation();
  const session = useSession();
  const signedIn = session !== null;
  const userId = session?.userId;

  // Live lists (notifications, conversations) follow the signed-in person.
  useEffect(() => (userId ? startLive() : undefined), [userId]);

  // Effects run after paint: read the address now, a page may have navigated meanwhile.
  useEffect(() => {
    const path = location.pathname;
    if (!signedIn && !PUBLIC.includes(path)) navigate(`/sign-in${path === '/' ? '' : `?next=${encodeURIComponent(path + location.search)}`}`, { replace: true });
    else if (signedIn && path === '/') navigate('/search', { replace: true });
  }, [url, signedIn]);

  return (
    <>
      <Header path={url.pathname} />
      <Page url={url} signedIn={signedIn} />
    </>
  );
}
