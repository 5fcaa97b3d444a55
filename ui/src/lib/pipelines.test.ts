import { describe, expect, it } from 'vitest';
import { lineCount, linesText } from './pipelines';

describe('pipeline sizes', () => {
  it('counts lines the way an editor shows them, a final newline ending the last line', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('\n')).toBe(1);
    expect(lineCount('steps: []')).toBe(1);
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
    expect(lineCount('a\n\n')).toBe(2);
  });

  it('reads as one line or many', () => {
    expect(linesText('x')).toBe('1 line');
    expect(linesText('')).toBe('0 lines');
    expect(linesText('a\nb\nc\n')).toBe('3 lines');
  });
});
