import { ApplicationFailure } from '@temporalio/activity';
import type { SourceConfig } from '../spec/export-spec';
import { FailureType } from '../failures';

/**
 * Puts the source's token on a request at the last moment. The spec names only the environment variable; the
 * token is read here, on the worker, and never returned: a query-parameter token (Moodle `wstoken`) is added
 * to the URL that is sent and stripped from every URL we keep (cursors, audit rows, history).
 */
export interface Credentials {
  headers: Record<string, string>;
  /** The URL to send: the kept URL plus a query token, if the source uses one. */
  sendable(url: string): string;
  /** A URL safe to keep: any query token removed. */
  keepable(url: string): string;
  tokenEnv?: string;
}

function readEnv(field: string, name: string, parent = 'source.auth'): string {
  const token = process.env[name];
  if (token === undefined || token === '') {
    throw ApplicationFailure.nonRetryable(`${parent}.${field}: environment variable ${name} is not set on this worker`, FailureType.AuthMissing);
  }
  return token;
}

export function credentialsFor(source: SourceConfig): Credentials {
  const auth = source.auth;
  const headers: Record<string, string> = { accept: 'application/json', ...source.headers };
  for (const [name, variable] of Object.entries(source.secretHeaders ?? {})) headers[name.toLowerCase()] = readEnv(`secretHeaders.${name}`, variable, 'source');
  if (auth?.bearerTokenEnv !== undefined) {
    headers['authorization'] = `Bearer ${readEnv('bearerTokenEnv', auth.bearerTokenEnv)}`;
    return { headers, sendable: (url) => url, keepable: (url) => url, tokenEnv: auth.bearerTokenEnv };
  }
  if (auth?.queryTokenEnv !== undefined) {
    const token = readEnv('queryTokenEnv', auth.queryTokenEnv);
    const param = auth.queryTokenParam;
    return {
      headers,
      sendable: (url) => {
        const withToken = new URL(url);
        withToken.searchParams.set(param, token);
        return withToken.toString();
      },
      keepable: (url) => {
        const without = new URL(url);
        if (!without.searchParams.has(param)) return url;
        without.searchParams.delete(param);
        return without.toString();
      },
      tokenEnv: auth.queryTokenEnv,
    };
  }
  return { headers, sendable: (url) => url, keepable: (url) => url };
}
