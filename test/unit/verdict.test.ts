import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { isIncomplete, parseVerdict, verdictOf, verdictText, type CompletenessFindings, type VerdictOutcome } from '../../src/integrity/verdict';
import { runVerdict } from '../../src/workflows/search-attributes';

const NOTHING_WRONG: CompletenessFindings = { count: null, gaps: null, spotChecks: [], drift: [], reconciledRows: 0 };

const OUTCOMES: VerdictOutcome[] = [
  { kind: 'complete' },
  { kind: 'complete-with-drift' },
  { kind: 'complete-unverified', why: 'users page 3 not verified (cursor expired)' },
  { kind: 'complete-unverified', why: 'users~restart1 page 2 not verified (could not re-fetch: 410 Gone: token expired)' },
  { kind: 'incomplete', why: '3 ids missing in 1 gap(s): ids 7–9' },
  { kind: 'incomplete', why: 'key a:b:c from users page 1: gone; and: more' },
  { kind: 'incomplete', why: ': starts with a colon' },
  { kind: 'incomplete', why: ' starts with a space' },
  { kind: 'incomplete', why: 'ends with a colon:' },
  { kind: 'incomplete', why: '' },
  { kind: 'complete-unverified', why: 'incomplete: a reason that names another kind' },
];

describe('completeness verdicts', () => {
  it.each(OUTCOMES.map((outcome) => [verdictText(outcome), outcome] as const))('reads %j back as the outcome it was written from', (text, outcome) => {
    assert.deepEqual(parseVerdict(text), outcome);
    assert.equal(verdictText(parseVerdict(text)), text);
  });

  it('writes the text reports and histories have always held', () => {
    assert.equal(verdictText({ kind: 'complete' }), 'complete');
    assert.equal(verdictText({ kind: 'complete-with-drift' }), 'complete-with-drift');
    assert.equal(verdictText({ kind: 'complete-unverified', why: 'users page 3 not verified (cursor expired)' }), 'complete-unverified: users page 3 not verified (cursor expired)');
    assert.equal(verdictText({ kind: 'incomplete', why: '2 of 10 announced rows missing (8 seen)' }), 'incomplete: 2 of 10 announced rows missing (8 seen)');
  });

  it('keeps every colon of a reason: only the one after the kind separates them', () => {
    const findings: CompletenessFindings = { ...NOTHING_WRONG, gaps: [{ from: 7, to: 9, missing: 3 }] };
    const outcome = verdictOf(findings);
    assert.deepEqual(outcome, { kind: 'incomplete', why: '3 ids missing in 1 gap(s): ids 7–9' });
    assert.equal(verdictText(outcome), 'incomplete: 3 ids missing in 1 gap(s): ids 7–9');
    assert.deepEqual(parseVerdict(verdictText(outcome)), outcome);
  });

  it('builds the outcome from the findings, worst first', () => {
    assert.deepEqual(verdictOf(NOTHING_WRONG), { kind: 'complete' });
    assert.deepEqual(verdictOf({ ...NOTHING_WRONG, reconciledRows: 2 }), { kind: 'complete-with-drift' });
    const unverified = { page: 3, traversal: 'users', keys: 0, notStored: 0, example: null, error: 'gone', unverified: 'cursor expired' };
    assert.deepEqual(verdictOf({ ...NOTHING_WRONG, reconciledRows: 2, spotChecks: [unverified] }), { kind: 'complete-unverified', why: 'users page 3 not verified (cursor expired)' });
    const short = { seen: 8, expectedAtStart: 10, expectedAtEnd: 10, allowed: 0, missing: 2 };
    assert.deepEqual(verdictOf({ ...NOTHING_WRONG, spotChecks: [unverified], count: short }), { kind: 'incomplete', why: '2 of 10 announced rows missing (8 seen)' });
  });

  it('reads any text starting `incomplete` as incomplete, as the run ledger does, and unknown text as complete', () => {
    assert.deepEqual(parseVerdict('incomplete'), { kind: 'incomplete', why: '' });
    assert.deepEqual(parseVerdict('incomplete:no space'), { kind: 'incomplete', why: 'no space' });
    assert.equal(parseVerdict('incompleteness').kind, 'incomplete');
    assert.deepEqual(parseVerdict('complete-unverified'), { kind: 'complete-unverified', why: '' });
    assert.deepEqual(parseVerdict('complete-with-drift: noted'), { kind: 'complete-with-drift' });
    assert.deepEqual(parseVerdict('something else'), { kind: 'complete' });
    assert.equal(isIncomplete('incomplete: 1 ids missing in 1 gap(s): id 4'), true);
    assert.equal(isIncomplete('complete-unverified: incomplete: named in the reason'), false);
    assert.equal(isIncomplete(undefined), false);
  });

  it("gives a run its worst resource's kind, the reasons left out", () => {
    assert.equal(runVerdict([]), undefined);
    assert.equal(runVerdict([undefined, 'complete']), 'complete');
    assert.equal(runVerdict(['complete', 'complete-with-drift', 'complete-unverified: users page 3: not verified']), 'complete-unverified');
    assert.equal(runVerdict(['complete-unverified: x', 'incomplete: y: z', 'complete']), 'incomplete');
    assert.equal(runVerdict(['incomplete: y', 'failed']), 'failed');
  });
});
