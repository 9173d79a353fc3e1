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
  if (parsed.username !== '' && /^https?:$/.test(parsed.protocol)) return 'holds credentials (user@)';
  const param = [...parsed.searchParams.keys()].find((name) => CREDENTIAL_PARAM.test(name));
  return param === undefined ? undefined : `holds a credential in its query (${param}=)`;
}

/** The query parameter of a resource's `query` that carries a credential, if any. */
export function credentialParam(names: string[]): string | undefined {
  return names.find((name) => CREDENTIAL_PARAM.test(name));
}

export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADER.test(name);
}
