/**
 * A request as an error message shows it: path and query as sent, so an operator sees which parameter a server
 * refused, with credentials (`access_token`, Moodle's `wstoken`, API keys) masked and opaque cursors shortened to
 * a placeholder (a token can encode record values; the audit trail keeps the full URL).
 */
const CREDENTIAL_PARAM = /^(access_?token|wstoken|token|api_?key|apikey|key|password|passwd|secret|client_?secret|signature|sig)$/i;
const CURSOR_PARAM = /^(page_?token|next_?token|cursor|continuation(_?token)?)$/i;

export function shownRequest(url: string): string {
  const parsed = new URL(url);
  const query = [...parsed.searchParams].map(([name, value]) => {
    const shown = CREDENTIAL_PARAM.test(name) ? '***' : CURSOR_PARAM.test(name) || value.startsWith('bookmark:') ? '<cursor>' : encodeURIComponent(value);
    return `${encodeURIComponent(name)}=${shown}`;
  });
  return query.length === 0 ? parsed.pathname : `${parsed.pathname}?${query.join('&')}`;
}
