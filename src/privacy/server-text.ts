import { STATUS_CODES } from 'node:http';

/**
 * A server's error text as a failure message may carry it into workflow history, the report, the run's memo and
 * current details, and the alert webhook. An error may quote the record it refused ("Student Ava Garcia
 * (ava.garcia1@…) is not enrolled"), so only a short excerpt is kept, and what looks like a person's data is
 * masked in it:
 *
 * - HTML tags are dropped (a proxy's error page keeps its text) and whitespace collapsed;
 * - emails become `<email>`, numbers of five digits or more (student and SIS ids) `<number>`;
 * - quoted values (`'…'`, `"…"`, `` `…` ``) become `<quoted>`: a server quotes the value it refused;
 * - capitalized words become `<name>` (one for a run of them, `Garcia, Ava` included), except the first word of a
 *   sentence standing alone and the words of HTTP reason phrases (`Bad Gateway`, `Not Found`): API messages are
 *   lowercase past their first word (`Invalid access token.`, `The pageToken is not valid.`), names are not;
 * - then the text is cut to 200 characters.
 *
 * The rule errs toward masking: a product name mid-sentence ("contact Canvas support") is masked too. The full
 * body never leaves the activity; the request's status, method and path (credentials and cursors masked) are
 * what the message is built on.
 */
export const SERVER_TEXT_CHARS = 200;

/** Capitalized words that are not names: those of the HTTP reason phrases, and a few every API message uses. */
const PLAIN_WORDS = new Set([
  ...Object.values(STATUS_CODES).flatMap((phrase) => (phrase ?? '').split(/[\s-]+/)),
  ...['The', 'This', 'That', 'An', 'A', 'Invalid', 'Error', 'Bearer', 'Token', 'Access', 'Validation', 'Parameter', 'Failed', 'Request', 'Rate', 'Limit', 'Exceeded'],
]);

const LETTER_OR_DIGIT = '[\\p{L}\\p{N}_]';
/** A capitalized word: `Ava`, `Garcia-Lopez`, `O'Brien`, `José`, `Patel4` (a generated name's suffix). */
const NAME_WORD = `\\p{Lu}[\\p{Ll}\\p{M}]+(?:['’-]\\p{Lu}?[\\p{Ll}\\p{M}]+)*\\d*`;
const NAME_RUN = new RegExp(`(?<!${LETTER_OR_DIGIT})${NAME_WORD}(?:(?:\\s+|,\\s*)${NAME_WORD})*(?!${LETTER_OR_DIGIT})`, 'gu');
const EMAIL = /[^\s@"'<>()]+@[^\s@"'<>()]+\.[A-Za-z]{2,}/g;
const LONG_NUMBER = /(?<![\p{L}\p{N}_])\d{5,}(?![\p{L}\p{N}_])/gu;
const QUOTED = /(^|[\s([{:=,])(["'`])[^"'`\n]{0,120}\2(?=$|[\s)\]}.,;:!?])/g;

function atSentenceStart(text: string, offset: number): boolean {
  const before = text.slice(0, offset).replace(/[\s([{"'`]+$/, '');
  return before === '' || /[.!?:;]$/.test(before);
}

function maskNames(text: string): string {
  return text.replace(NAME_RUN, (run: string, offset: number) => {
    const words = run.split(/\s+|,\s*/).filter((word) => word !== '');
    const plain = words.every((word) => PLAIN_WORDS.has(word));
    const sentenceWord = words.length === 1 && atSentenceStart(text, offset);
    return plain || sentenceWord ? run : '<name>';
  });
}

export function scrubbed(text: string): string {
  const readable = text.replace(/<[!/]?[A-Za-z][^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  const masked = maskNames(
    readable
      .replace(EMAIL, '<email>')
      .replace(LONG_NUMBER, '<number>')
      .replace(QUOTED, (_, lead: string) => `${lead}<quoted>`),
  );
  return masked.length > SERVER_TEXT_CHARS ? `${masked.slice(0, SERVER_TEXT_CHARS)}…` : masked;
}
