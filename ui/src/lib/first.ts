// The first screen's two questions, answered from what the shell asked at launch.
//
// At launch the shell restores the session and at once asks the API for `/me` and the personal
// token list with it (`first_answers`), while the window is still loading. The API client's
// first two calls take those answers instead of asking again; every other call, and these two
// when the shell has no answer for them, goes to the server as usual.

import type { FirstAnswers } from './bindings/FirstAnswers';
import type { Session } from './bindings/Session';

const FIRST: Record<string, keyof Pick<FirstAnswers, 'me' | 'tokens'>> = {
  '/api/v1/me': 'me',
  '/api/v1/user/tokens': 'tokens',
};

/**
 * A fetch for an API client on `session`: a GET of `/me` or of the personal token list, sent with
 * that session, is answered once from `first`; anything else is sent with `send`.
 */
export function answeringFirst(
  first: Promise<FirstAnswers | null>,
  session: Session,
  send: typeof fetch = (...args) => fetch(...args),
): typeof fetch {
  const unused = new Set(Object.keys(FIRST));
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const path = url.pathname;
    if (
      request.method === 'GET' &&
      unused.has(path) &&
      url.origin === new URL(session.base_url).origin &&
      url.search === '' &&
      request.headers.get('Authorization') === `Bearer ${session.token}`
    ) {
      unused.delete(path);
      const answers = await first.catch(() => null);
      const answer = answers?.[FIRST[path]!];
      if (answers && answer && new URL(answers.base_url).origin === url.origin) {
        return new Response(answer.body, {
          status: answer.status,
          headers: { 'Content-Type': 'application/json' },
        });
      }
    }
    return send(request);
  };
}
