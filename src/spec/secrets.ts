/**
 * A spec is stored in clear in workflow history (every run's input, every child's): it must hold no secret. A
 * secret reaches a worker only through an environment variable the spec names (`source.auth.bearerTokenEnv`,
 * `queryTokenEnv`, `source.secretHeaders`, `sink.urlEnv`). These checks refuse the places a secret slips in: a
 * URL's userinfo, a credential in a query string, a header that carries one.
 */

/** Query parameters that carry credentials, whatever API they are sent to. */
const CREDENTIAL_PARAM = /^(access_?token|id_?token|refresh_?token|auth_?token|token|wstoken|api_?key|apikey|password|passwd|pwd|secret|client_?secret|sslpassword|signature|sig)$/i;

/** Headers that carry credentials: by name (Authorization, Cookie, X-Api-Key, X-Auth-Token…). */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|passw|api-?key|apikey|auth|session/i;

/** Why this URL holds a secret, or undefined. `field` names it in the message. */
export function secretInUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // not a URL at all: the field's own format check says so
  }
  if (parsed.password !== '') return 'holds a password (user:password@)';
  if (atAfterAuthority(url)) return 'holds an "@" after its host: the rest of a password with an unencoded / ? or # (user:password@)';
  if (parsed.username !== '' && /^https?:$/.test(parsed.protocol)) return 'holds credentials (user@)';
  const param = [...parsed.searchParams.keys()].find((name) => CREDENTIAL_PARAM.test(name));
  return param === undefined ? undefined : `holds a credential in its query (${param}=)`;
}

/** The query parameter of a resource's `query` that carries a credential, if any. */
export function credentialParam(names: string[]): string | undefined {
  return names.find((name) => CREDENTIAL_PARAM.test(name));
}

/** A header value that is a credential whatever the header is called: an HTTP auth scheme and its token. */
const CREDENTIAL_VALUE = /^\s*(bearer|basic|digest|token|negotiate|apikey|api-key)\s+\S/i;

export function isCredentialHeader(name: string, value = ''): boolean {
  return CREDENTIAL_HEADER.test(name) || CREDENTIAL_VALUE.test(value);
}

/**
 * Whether an `@` stands after a URL's authority (`postgres://u:1234/pw@host/db` reads as host `u`, port 1234 and
 * the path `/pw@host/db`): the tail of a password holding an unencoded `/`, `?` or `#`, which a parser accepts
 * but misreads, and which would be stored in clear.
 */
export function atAfterAuthority(url: string): boolean {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authorityEnd = rest.search(/[/?#]/);
  return authorityEnd >= 0 && rest.slice(authorityEnd).includes('@');
}
