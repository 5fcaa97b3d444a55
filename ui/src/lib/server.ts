// The team server address typed in Preferences, checked before the shell is asked to use it.

export type TeamUrlResult = { ok: true; url: string } | { ok: false; message: string };

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** An absolute http(s) origin (a path is kept for servers behind a prefix), without a trailing slash. */
export function validTeamUrl(input: string): TeamUrlResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, message: 'Enter the address of the team server.' };
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return {
      ok: false,
      message: 'Enter the full address of the team server, like https://tessera.example.com.',
    };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    // Tokens travel in every request: plain http is only acceptable to this same computer.
    return { ok: false, message: 'The team server address must start with https://.' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, message: 'Leave the user name and password out of the server address.' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, message: 'The server address cannot contain ? or #.' };
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { ok: true, url: `${url.origin}${path}` };
}
