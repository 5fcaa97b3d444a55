import { describe, expect, it } from 'vitest';
import { filterByQuery, tokenSearchFields } from './search';

const tokens = [
  { label: 'Deploy from CI', description: 'GitLab runner', hint: 'tsr_pat_…a1B2' },
  { label: 'Laptop', description: '', hint: 'tsr_pat_…zz99' },
  { label: 'Backup script', description: 'nightly deploy of secrets', hint: 'tsr_pat_…QwEr' },
];

const labels = (query: string) =>
  filterByQuery(tokens, query, tokenSearchFields).map((t) => t.label);

describe('filterByQuery', () => {
  it('keeps everything for an empty or blank query', () => {
    expect(labels('')).toHaveLength(3);
    expect(labels('   ')).toHaveLength(3);
  });

  it('matches label, description and hint, ignoring case', () => {
    expect(labels('laptop')).toEqual(['Laptop']);
    expect(labels('RUNNER')).toEqual(['Deploy from CI']);
    expect(labels('qwer')).toEqual(['Backup script']);
  });

  it('needs every word to match somewhere', () => {
    expect(labels('deploy')).toEqual(['Deploy from CI', 'Backup script']);
    expect(labels('deploy nightly')).toEqual(['Backup script']);
    expect(labels('deploy laptop')).toEqual([]);
  });

  it('does not change the list it was given', () => {
    const copy = [...tokens];
    filterByQuery(tokens, 'x', tokenSearchFields);
    expect(tokens).toEqual(copy);
  });

  it('skips missing fields', () => {
    const items = [{ name: 'a', url: null }, { name: 'b', url: 'https://git.example.com/b' }];
    expect(filterByQuery(items, 'git', (i) => [i.name, i.url])).toEqual([items[1]]);
  });
});
