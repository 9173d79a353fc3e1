import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { isDeepStrictEqual } from 'node:util';
import { blackboardRoutes } from '../../src/simulator/apis/blackboard';
import { canvasRoutes } from '../../src/simulator/apis/canvas';
import { edfiRoutes } from '../../src/simulator/apis/edfi';
import { genericRoutes } from '../../src/simulator/apis/generic';
import { moodleRoutes } from '../../src/simulator/apis/moodle';
import { onerosterRoutes } from '../../src/simulator/apis/oneroster';
import type { RequestRule, SimRoute } from '../../src/simulator/route';
import type { LmsSimulator } from '../../src/simulator/server';
import { withSimulator } from '../helpers/simulator';

/**
 * Every request rule of every simulated API, from the route tables themselves: each is written down (a source),
 * named once, and its breaking request is answered exactly as its check says the real server answers, and counted
 * as a breach. A lenient simulator serves the same request and still counts it.
 */
const APIS: Record<string, SimRoute[]> = {
  canvas: canvasRoutes,
  edfi: edfiRoutes,
  oneroster: onerosterRoutes,
  blackboard: blackboardRoutes,
  moodle: moodleRoutes,
  generic: genericRoutes,
};

interface Case {
  api: string;
  rule: RequestRule;
  /** The routes that hold this rule (a rule may guard several routes of its API). */
  routes: SimRoute[];
}

function cases(): Case[] {
  const byRule = new Map<RequestRule, Case>();
  for (const [api, routes] of Object.entries(APIS)) {
    for (const route of routes) {
      for (const rule of route.rules ?? []) {
        const known = byRule.get(rule);
        if (known === undefined) byRule.set(rule, { api, rule, routes: [route] });
        else known.routes.push(route);
      }
    }
  }
  return [...byRule.values()];
}

/** Small, and with assignment 1 in course 1, so every breaking path names a parent that exists. */
const SMALL = { users: 30, courses: 3, enrollmentsPerCourse: 5, submissionsPerCourse: 5, assignmentsPerCourse: 1, submissionsPerAssignment: 2, records: 20 };

/** The breaking request as the route's API authenticates it: a bearer header, or Moodle's `wstoken` parameter. */
function request(simulator: LmsSimulator, c: Case): { url: URL; headers: Record<string, string> } {
  const url = new URL(c.rule.breaking, simulator.url);
  const route = c.routes.find((r) => r.pattern.test(url.pathname));
  if (route?.auth === 'query') {
    url.searchParams.set('wstoken', simulator.token);
    return { url, headers: {} };
  }
  return { url, headers: { authorization: `Bearer ${simulator.token}` } };
}

async function send(simulator: LmsSimulator, c: Case): Promise<{ status: number; contentType: string | null; body: unknown }> {
  const { url, headers } = request(simulator, c);
  const response = await fetch(url, { headers });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.json() };
}

const ALL = cases();

describe('the request rules of the simulated APIs', () => {
  it('are there for every API the brief covers', () => {
    for (const api of ['canvas', 'oneroster', 'blackboard', 'moodle']) assert.ok(ALL.some((c) => c.api === api), `${api} has request rules`);
  });

  it('each say where they are written down, and each id names one rule of its own API', () => {
    const byId = new Map<string, RequestRule>();
    for (const { api, rule } of ALL) {
      assert.match(rule.id, new RegExp(`^${api}\\.[a-z0-9-]+$`), `${rule.id} is named <api>.<rule>`);
      assert.ok(rule.rule.trim() !== '', `${rule.id} states its rule`);
      assert.ok(rule.source.trim() !== '', `${rule.id} names its source`);
      const same = byId.get(rule.id);
      // The same rule may guard several routes (one object per route, each with its own breaking request).
      if (same !== undefined) assert.deepEqual([same.rule, same.source], [rule.rule, rule.source], `two different rules are named ${rule.id}`);
      byId.set(rule.id, rule);
    }
  });

  for (const c of ALL) {
    const { rule } = c;
    it(`${rule.id}: ${rule.breaking} is refused as the real server refuses it, and counted`, async () => {
      await withSimulator(SMALL, async (simulator) => {
        const { url, headers } = request(simulator, c);
        assert.ok(c.routes.some((r) => r.pattern.test(url.pathname)), `${rule.breaking} is a request on a route that holds ${rule.id}`);
        const expected = rule.check({ url, method: 'GET', headers });
        assert.ok(expected !== undefined, `${rule.breaking} breaks ${rule.id}`);
        const answer = await send(simulator, c);
        assert.equal(answer.status, expected.status);
        assert.deepEqual(answer.body, expected.body);
        const contentType = expected.headers?.['content-type'];
        if (contentType !== undefined) assert.equal(answer.contentType, contentType);
        assert.deepEqual(
          simulator.stats.breaches.map((b) => [b.rule, b.refused]),
          [[rule.id, true]],
          'the breach is recorded under this rule (no earlier rule of the route caught it)',
        );
        assert.ok(!(simulator.stats.breaches[0]?.request ?? '').includes(simulator.token), 'the recorded request holds no token');
      });
    });

    it(`${rule.id}: a lenient simulator serves ${rule.breaking}, and still counts it`, async () => {
      await withSimulator({ ...SMALL, lenient: true }, async (simulator) => {
        const { url, headers } = request(simulator, c);
        const refusal = rule.check({ url, method: 'GET', headers });
        const answer = await send(simulator, c);
        assert.equal(answer.status, 200);
        assert.ok(!isDeepStrictEqual(answer.body, refusal?.body), 'served, not refused');
        assert.deepEqual(simulator.stats.breaches.map((b) => [b.rule, b.refused]), [[rule.id, false]]);
      });
    });
  }
});
