import { redirect } from 'next/navigation';

// The (app) layout sends a visitor without a session on to /sign-in.
export default function Home() {
  redirect('/workspaces');
}
