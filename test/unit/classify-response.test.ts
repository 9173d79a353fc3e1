import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { backoffMs } from '../../src/activities/backoff';
import { classifyResponse, retryAfterMs, scrubbed, serverWaitMs, type ResponseFacts } from '../../src/activities/classify-response';

const facts = (status: number, extra: Partial<ResponseFacts> = {}): ResponseFacts => ({
  status, headers: {}, bodyText: '', method: 'GET', path: '/api/v1/courses/1/enrollments', tokenEnv: 'CANVAS_TOKEN', now: 0, ...extra,
});

describe('response classification', () => {
  it('passes 2xx', () => assert.deepEqual(classifyResponse(facts(200)), { kind: 'ok' }));
  it('retries 5xx and 408', () => {
    assert.equal(classifyResponse(facts(503)).kind, 'retry');
    assert.equal(classifyResponse(facts(408)).kind, 'retry');
  });
  it('waits as Retry-After says on 429', () => {
    assert.deepEqual(classifyResponse(facts(429, { headers: { 'retry-after': '7' } })), { kind: 'throttled', message: '429 throttled on GET /api/v1/courses/1/enrollments', retryAfterMs: 7_000 });
  });
  it("treats Canvas's 403 Rate Limit Exceeded as throttling, not an auth failure", () => {
    assert.equal(classifyResponse(facts(403, { bodyText: '403 Forbidden (Rate Limit Exceeded)' })).kind, 'throttled');
  });
  it('stops on 401 naming the env var that holds the token, never the token', () => {
    const verdict = classifyResponse(facts(401, { bodyText: '{"errors":[{"message":"Invalid access token."}]}' }));
    assert.equal(verdict.kind, 'fatal');
    assert.match(verdict.kind === 'fatal' ? verdict.message : '', /Invalid access token\..*CANVAS_TOKEN/);
  });
  it('stops on 404 naming the path', () => {
    const verdict = classifyResponse(facts(404));
    assert.match(verdict.kind === 'fatal' ? verdict.message : '', /GET \/api\/v1\/courses\/1\/enrollments/);
  });
  it('stops on 400 with the server message', () => {
    const verdict = classifyResponse(facts(400, { bodyText: '{"message":"invalid per_page"}' }));
    assert.match(verdict.kind === 'fatal' ? verdict.message : '', /invalid per_page/);
  });
  it('recognises a server rejecting its own cursor, only when the request carried one', () => {
    const expired = facts(410, { bodyText: '{"detail":"The pageToken has expired."}', carriesCursor: true });
    assert.deepEqual(classifyResponse(expired), {
      kind: 'fatal', type: 'CursorExpired', message: '410 on GET /api/v1/courses/1/enrollments: the server rejected its own cursor: The pageToken has expired.',
    });
    assert.equal((classifyResponse({ ...expired, carriesCursor: false }) as { type?: string }).type, 'BadRequest');
    assert.equal((classifyResponse(facts(400, { bodyText: 'per_page must be a number', carriesCursor: true })) as { type?: string }).type, 'BadRequest');
  });
  it('retries an HTML page served with 200 where JSON was expected', () => {
    assert.equal(classifyResponse(facts(200, { headers: { 'content-type': 'text/html' }, bodyText: '<html>maintenance</html>' })).kind, 'retry');
    assert.equal(classifyResponse(facts(200, { bodyText: '  <!DOCTYPE html>' })).kind, 'retry');
  });
  it('treats any error answered with X-Rate-Limit-Remaining at 0 as throttling', () => {
    assert.equal(classifyResponse(facts(403, { headers: { 'x-rate-limit-remaining': '0.0' }, bodyText: 'Forbidden' })).kind, 'throttled');
    assert.equal(classifyResponse(facts(200, { headers: { 'x-rate-limit-remaining': '0' } })).kind, 'ok');
  });
  it('waits until a rate-limit reset when there is no Retry-After', () => {
    assert.equal(serverWaitMs({ 'ratelimit-reset': '12' }, 0), 12_000);
    assert.equal(serverWaitMs({ 'x-rate-limit-reset': '1800000010' }, 1_800_000_000_000), 10_000);
    assert.equal(serverWaitMs({ 'retry-after': '2', 'ratelimit-reset': '12' }, 0), 2_000);
    assert.equal(serverWaitMs({}, 0), undefined);
  });
  it('backs off exponentially with jitter, capped at a minute', () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => backoffMs(a, () => 0)), [500, 1_000, 2_000, 4_000]);
    assert.deepEqual([1, 2].map((a) => backoffMs(a, () => 0.999999)), [1_000, 2_000]);
    assert.equal(backoffMs(30, () => 1), 60_000);
  });
  it('fails, naming the header and its value, a server-directed wait beyond source.maxServerWaitSeconds', () => {
    const verdict = classifyResponse(facts(429, { headers: { 'retry-after': '999999999' } }));
    assert.equal(verdict.kind, 'fatal');
    assert.equal(verdict.kind === 'fatal' ? verdict.type : '', 'ServerWaitTooLong');
    assert.match(verdict.kind === 'fatal' ? verdict.message : '', /^429 throttled on GET \/api\/v1\/courses\/1\/enrollments with Retry-After: 999999999, a wait of 32 years, beyond source\.maxServerWaitSeconds \(900 s\)/);
    const reset = classifyResponse(facts(403, { headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '4102444800' }, now: Date.parse('2026-01-01T00:00:00Z') }));
    assert.match(reset.kind === 'fatal' ? reset.message : '', /X-Rate-Limit-Reset: 4102444800, a wait of 74 years/);
  });
  it('obeys a server-directed wait up to the limit, which the spec may raise or lower', () => {
    assert.deepEqual(classifyResponse(facts(429, { headers: { 'retry-after': '900' } })), { kind: 'throttled', message: '429 throttled on GET /api/v1/courses/1/enrollments', retryAfterMs: 900_000 });
    assert.equal(classifyResponse(facts(429, { headers: { 'retry-after': '3600' }, maxServerWaitMs: 7_200_000 })).kind, 'throttled');
    assert.match(JSON.stringify(classifyResponse(facts(429, { headers: { 'retry-after': '61' }, maxServerWaitMs: 60_000 }))), /Retry-After: 61, a wait of 61 s, beyond source.maxServerWaitSeconds \(60 s\)/);
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('2', 0), 2_000);
    assert.equal(retryAfterMs('Thu, 01 Jan 1970 00:00:05 GMT', 1_000), 4_000);
    assert.equal(retryAfterMs('soon', 0), undefined);
  });
});

describe("a server's error text in a failure message", () => {
  it('masks emails, long numbers and the name of the student it quotes, and is cut short', () => {
    const verdict = classifyResponse({
      status: 400,
      headers: {},
      bodyText: JSON.stringify({ errors: [{ message: 'Student Ava Garcia (ava.garcia1@district.example.org, SIS 20231187) is not enrolled in course 12' }] }),
      method: 'GET',
      path: '/api/v1/courses/12/enrollments',
      now: 0,
    });
    assert.equal(verdict.kind === 'fatal' ? verdict.message : '', '400 on GET /api/v1/courses/12/enrollments: <name> (<email>, SIS <number>) is not enrolled in course 12');
    assert.equal(scrubbed('x'.repeat(500)), `${'x'.repeat(200)}…`);
  });

  it('masks names in either order, with accents, hyphens and suffixes, and quoted values', () => {
    assert.equal(scrubbed('no enrollment for Patel4, Priya in section 3'), 'no enrollment for <name> in section 3');
    assert.equal(scrubbed("user José Núñez-García isn't active"), "user <name> isn't active");
    assert.equal(scrubbed('Ava Garcia is not enrolled'), '<name> is not enrolled');
    assert.equal(scrubbed("Invalid value 'Ava' for name"), 'Invalid value <quoted> for name');
    assert.equal(scrubbed('SIS 604822 is not active'), 'SIS <number> is not active');
  });

  it("keeps an API's own messages and reason phrases readable", () => {
    for (const message of ['Invalid access token.', 'The request is invalid. The pageToken is not valid.', 'invalid bookmark: it has expired', 'Invalid limit: must be between 1 and 100', 'PageSize must be a value between 0 and 500.', 'An error occurred.', 'Too Many Requests', 'Service Unavailable: maintenance']) {
      assert.equal(scrubbed(message), message);
    }
    assert.equal(scrubbed('<html><body><h1>502 Bad Gateway</h1></body></html>'), '502 Bad Gateway', "a proxy's page keeps its text");
  });

  it('reads OAuth-style bodies ({error, error_description}) and scrubs them', () => {
    const verdict = classifyResponse({ status: 400, headers: {}, bodyText: '{"error":"invalid_request","error_description":"no such user ava.garcia1@district.example.org"}', method: 'GET', path: '/x', now: 0 });
    assert.equal(verdict.kind === 'fatal' ? verdict.message : '', '400 on GET /x: invalid_request: no such user <email>');
  });
});
