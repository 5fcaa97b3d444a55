// The search box of every list: case-insensitive, every word must match one of the fields.

/** Keeps the items where each word of `query` occurs in at least one of `fields(item)`. */
export function filterByQuery<T>(
  items: readonly T[],
  query: string,
  fields: (item: T) => readonly (string | null | undefined)[],
): T[] {
  const words = query.toLocaleLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [...items];
  return items.filter((item) => {
    const haystack = fields(item)
      .filter((f): f is string => typeof f === 'string')
      .map((f) => f.toLocaleLowerCase());
    return words.every((word) => haystack.some((field) => field.includes(word)));
  });
}

/** The token lists search their label, description and hint. */
export function tokenSearchFields(token: {
  label: string;
  description: string;
  hint: string;
}): string[] {
  return [token.label, token.description, token.hint];
}
