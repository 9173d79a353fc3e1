import { Agent, request } from 'undici';
import type { SourceConfig } from '../spec/export-spec';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const agents = new Map<string, Agent>();

/** One keep-alive connection pool per timeout setting, shared by every fetch in the process. */
function agentFor(source: SourceConfig): Agent {
  const id = `${source.connectTimeoutMs}:${source.requestTimeoutMs}`;
  let agent = agents.get(id);
  if (agent === undefined) {
    agent = new Agent({
      connect: { timeout: source.connectTimeoutMs },
      headersTimeout: source.requestTimeoutMs,
      bodyTimeout: source.requestTimeoutMs,
    });
    agents.set(id, agent);
  }
  return agent;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export async function httpGet(url: string, source: SourceConfig, headers: Record<string, string>): Promise<HttpAnswer> {
  // undici follows no redirects unless asked: a redirect is an answer we classify, never a hop with our token.
  const response = await request(url, { method: 'GET', headers, dispatcher: agentFor(source) });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: flattenHeaders(response.headers), body };
}
