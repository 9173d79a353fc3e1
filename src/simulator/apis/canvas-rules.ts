import type { RequestRule, SimResponse } from '../route';

/**
 * The request rules of Canvas's list endpoints, as lib/api.rb and its pagination gems enforce them, answered as
 * ApplicationController#rescue_action_in_api answers them. Canvas refuses little: `per_page` above the maximum (or
 * below 1) is silently brought into range, an undecodable bookmark silently serves the first page and a page past
 * the end is an empty array; canvas.ts serves those as Canvas does. What it does refuse is a page number that is not
 * a positive integer on a numbered collection.
 */
const PAGINATE = 'canvas-lms: lib/api.rb (Api.paginate_collection!: Folio::InvalidPage re-raised unless a positive integer page of an ordinal collection); spec/lib/api_spec.rb ("raises Folio::InvalidPage for pages <= 0", "for non-integer pages")';
const ANSWER = 'canvas-lms: app/controllers/application_controller.rb (rescue_action_in_api, api_error_json: "An error occurred." with the status as error_code); folio railtie (Folio::InvalidPage => :not_found)';

/** Canvas's answer to an exception it has no message of its own for: 404 once Rails maps Folio::InvalidPage. */
export const canvasInvalidPage = (): SimResponse => ({
  status: 404,
  body: { errors: [{ message: 'An error occurred.', error_code: 'not_found' }] },
});

/** `page` on a numbered collection: absent, or a whole number from 1 (Ruby's `page.to_s =~ /\d+/ && page.to_i > 0`). */
function positivePage(url: URL): boolean {
  const page = url.searchParams.get('page');
  return page === null || (/^\s*\d+/.test(page) && Number.parseInt(page, 10) > 0);
}

/** The rules of a numbered (ordinal) collection; `path` is a collection path of the route, for the rule's own test. */
export function numberedPageRules(path: string): RequestRule[] {
  return [
    {
      id: 'canvas.page-positive-integer',
      rule: 'on a numbered collection, page is a whole number from 1 (page=0, page=-1, page=abc or a bookmark are refused; a page past the end is an empty array)',
      source: `${PAGINATE}; ${ANSWER}`,
      breaking: `${path}?page=0&per_page=10`,
      check: ({ url }) => (positivePage(url) ? undefined : canvasInvalidPage()),
    },
  ];
}
