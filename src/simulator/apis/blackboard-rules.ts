import type { RequestRule, SimResponse } from '../route';

/**
 * The request rules of Blackboard Learn's Get Users and Get Courses, answered as Learn answers a refused request:
 * the status and a RestException body (`{"status", "message"}`, with `code`, `developerMessage` and `extraInfo`
 * where Learn has them).
 */
export const BLACKBOARD_MAX_LIMIT = 100;

const LIMITS = 'Blackboard Developer Community, "Paging: A way forward" (community.blackboard.com, 2019): Get Users and Get Courses page 100 by default and "paging limit cannot exceed 100"';
const ERRORS = 'Blackboard Learn REST API reference (developer.blackboard.com): 400 "The request did not specify valid data", body RestException {status, code, message, developerMessage, extraInfo}';

export const restException = (status: number, message: string): SimResponse => ({ status, body: { status, message } });

/** The rules of a Get Users / Get Courses route; `path` is its collection path, for each rule's own test. */
export function blackboardCollectionRules(path: string): RequestRule[] {
  return [
    {
      id: 'blackboard.limit-max',
      rule: `limit is at most ${BLACKBOARD_MAX_LIMIT} on Get Users and Get Courses: a larger one is refused, not lowered`,
      source: `${LIMITS}; ${ERRORS}`,
      breaking: `${path}?limit=${BLACKBOARD_MAX_LIMIT + 1}`,
      check: ({ url }) => {
        const limit = Number(url.searchParams.get('limit') ?? BLACKBOARD_MAX_LIMIT);
        return limit > BLACKBOARD_MAX_LIMIT ? restException(400, `Invalid limit: must be between 1 and ${BLACKBOARD_MAX_LIMIT}`) : undefined;
      },
    },
  ];
}
