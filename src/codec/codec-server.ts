import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** The variable holding the token a codec server expects in each request's Authorization header. */
export const CODEC_AUTH_TOKEN_ENV = 'LMS_EXPORT_CODEC_AUTH_TOKEN';

/** The biggest request body read: a history page of payloads, well over the server's 2 MB per payload. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  /** Loopback by default: the Web UI calls the codec server from the operator's browser. */
  host?: string;
  /** Origins of the Web UI allowed to call from a browser (CORS), e.g. http://localhost:8233. */
  corsOrigins?: string[];
  /** The Authorization header every request must carry (as is, or as `Bearer <token>`); undefined accepts all. */
  authToken: string | undefined;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

/** The JSON form of a payload in the codec protocol: metadata values and data in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/**
 * Temporal's remote codec protocol, for the Web UI and `temporal --codec-endpoint`: POST …/encode and …/decode
 * with `{ payloads: [...] }`, answered through the same codec the workers use, so a person with the token
 * (and no encryption key) reads decrypted history. Preflight requests are answered for the configured origins.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: Error) => reply(response, 400, { error: error.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function handle(options: CodecServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const origin = request.headers.origin;
  if (origin !== undefined && options.corsOrigins?.includes(origin)) {
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Access-Control-Allow-Credentials', 'true');
    response.setHeader('Vary', 'Origin');
  }
  if (request.method === 'OPTIONS') {
    response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    response.setHeader('Access-Control-Allow-Headers', 'content-type, authorization, x-namespace');
    response.setHeader('Access-Control-Max-Age', '600');
    response.writeHead(204).end();
    return;
  }
  const operation = request.url?.split('?')[0]?.match(/\/(encode|decode)$/)?.[1];
  if (request.method !== 'POST' || operation === undefined) return reply(response, 404, { error: 'POST /encode or /decode' });
  if (options.authToken !== undefined && !authorized(request.headers.authorization, options.authToken)) {
    request.resume();
    return reply(response, 401, { error: 'missing or wrong Authorization header' });
  }
  const body = JSON.parse(await readBody(request)) as { payloads?: JsonPayload[] };
  if (!Array.isArray(body.payloads)) return reply(response, 400, { error: 'the body must be {"payloads": [...]}' });
  const payloads = body.payloads.map(fromJson);
  const result = operation === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
  reply(response, 200, { payloads: result.map(toJson) });
}

function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : header;
  // Digests of equal length, so the comparison takes the same time whatever the header holds.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error(`the request body is over ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function fromJson(payload: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')]));
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}
