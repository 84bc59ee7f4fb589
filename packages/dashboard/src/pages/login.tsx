import { PurseError } from '@purse/sdk/browser';
import { type FormEvent, useEffect, useState } from 'react';
import { describeError, Field } from '../components.js';
import { type OperatorSession, signIn } from '../session.js';

/** What the operator reads for each refusal of a sign-in. */
function signInMessage(error: unknown): string {
  if (error instanceof PurseError) {
    if (error.code === ('invalid_credentials' as PurseError['code']))
      return 'Wrong email, password or code. Check them and try again (codes change every 30 seconds).';
    if (error.code === ('operator_locked' as PurseError['code'])) {
      const wait =
        error.retry_after_s === undefined
          ? ''
          : ` Try again in ${Math.ceil(error.retry_after_s / 60)} minute(s).`;
      return `Too many failed attempts: this account is locked for now.${wait} ${error.detail}`;
    }
  }
  return describeError(error);
}

export function LoginPage({
  notice,
  onSignedIn,
}: {
  notice?: string | undefined;
  onSignedIn: (session: OperatorSession) => void;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · Purse dashboard';
  }, []);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    signIn(String(form.get('email')), String(form.get('password')), String(form.get('code'))).then(
      (session) => {
        setBusy(false);
        onSignedIn(session);
      },
      (e: unknown) => {
        setBusy(false);
        setError(signInMessage(e));
      },
    );
  };
  return (
    <main id="main" className="login">
      <h1>Sign in to the Purse dashboard</h1>
      {notice === undefined ? null : (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {error === undefined ? null : (
        <div role="alert" className="problem">
          {error}
        </div>
      )}
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="Email">
          {(id) => <input id={id} name="email" type="email" autoComplete="username" required />}
        </Field>
        <Field label="Password">
          {(id) => <input id={id} name="password" type="password" autoComplete="current-password" required />}
        </Field>
        <Field label="Authenticator code" hint="The 6-digit code from your authenticator app.">
          {(id, hint) => (
            <input
              id={id}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              aria-describedby={hint}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
