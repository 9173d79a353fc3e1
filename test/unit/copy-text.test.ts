import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { copyText } from '../../src/sinks/copy-text';

describe('COPY text rows', () => {
  it('splits columns by tabs and rows by newlines, escaping what would split them', () => {
    assert.equal(copyText([['a', 'b'], ['tab\there', 'line\nbreak\r']]), 'a\tb\ntab\\there\tline\\nbreak\\r\n');
  });

  it('escapes backslashes, so neither \\N (null) nor \\. (end of data) can be read from a value', () => {
    assert.equal(copyText([['\\N', '\\.', 'C:\\dir']]), '\\\\N\t\\\\.\tC:\\\\dir\n');
  });

  it('keeps quotes, empty values and characters beyond ASCII as they are', () => {
    assert.equal(copyText([[`O'Brien "x"`, '', 'ünï 学 🎓']]), `O'Brien "x"\t\tünï 学 🎓\n`);
  });

  it('refuses U+0000, which PostgreSQL text cannot hold', () => {
    assert.throws(() => copyText([['a\u0000b']]), /U\+0000/);
  });
});
