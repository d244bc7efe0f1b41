import { describe, expect, it } from 'vitest';
import { parseIdentifierList } from './breaches.cli.input.js';

describe('parseIdentifierList', () => {
  it('takes emails and phone numbers from lines or cells, ignoring headers and comments', () => {
    expect(parseIdentifierList('# note\nemail,phone\n"a@b.example", +44 1727 812001\r\nc@d.example\n\nJane;07700 900123\n')).toEqual({
      emails: ['a@b.example', 'c@d.example'],
      phones: ['+44 1727 812001', '07700 900123'],
      ignored: 3,
    });
  });
});
