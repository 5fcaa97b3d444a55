import { describe, expect, it } from 'vitest';
import { validTeamUrl } from './server';

describe('validTeamUrl', () => {
  it('accepts an https address and drops the trailing slash', () => {
    expect(validTeamUrl(' https://tessera.example.com/ ')).toEqual({
      ok: true,
      url: 'https://tessera.example.com',
    });
    expect(validTeamUrl('https://example.com/tessera/')).toEqual({
      ok: true,
      url: 'https://example.com/tessera',
    });
  });

  it('allows plain http only to this computer', () => {
    expect(validTeamUrl('http://127.0.0.1:7878')).toEqual({ ok: true, url: 'http://127.0.0.1:7878' });
    expect(validTeamUrl('http://localhost:7878').ok).toBe(true);
    expect(validTeamUrl('http://tessera.example.com')).toEqual({
      ok: false,
      message: 'The team server address must start with https://.',
    });
  });

  it('refuses what is not a server address, with a sentence', () => {
    expect(validTeamUrl('')).toMatchObject({ ok: false });
    expect(validTeamUrl('tessera.example.com')).toMatchObject({ ok: false });
    expect(validTeamUrl('https://user:pw@example.com')).toMatchObject({ ok: false });
    expect(validTeamUrl('https://example.com/?x=1')).toMatchObject({ ok: false });
  });
});
