import { AesGcmCodec } from './aes-gcm-codec';
import { CODEC_AUTH_TOKEN_ENV, startCodecServer, type CodecServer } from './codec-server';
import { ENCRYPTION_KEY_ENV, encryptionKeysFromEnv } from './encryption-keys';

export interface CodecServerCommandOptions {
  port: string;
  host: string;
  corsOrigin?: string[];
  /** False with `--no-auth`. */
  auth: boolean;
}

/**
 * `lms-export codec-server`: serves the codec of LMS_EXPORT_ENCRYPTION_KEY(S) to the Web UI and the Temporal CLI
 * until SIGINT/SIGTERM. It needs the keys, and the token of LMS_EXPORT_CODEC_AUTH_TOKEN unless `--no-auth` says
 * in so many words that anyone reaching the port may decrypt.
 */
export async function runCodecServer(options: CodecServerCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<CodecServer> {
  const port = Number(options.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new Error(`--port must be a port number (0–65535), got "${options.port}"`);
  const keys = encryptionKeysFromEnv(env);
  if (keys === undefined) throw new Error(`${ENCRYPTION_KEY_ENV} is not set: a codec server needs the keys history was encrypted with`);
  const authToken = options.auth ? env[CODEC_AUTH_TOKEN_ENV] : undefined;
  if (options.auth && !authToken) {
    throw new Error(`${CODEC_AUTH_TOKEN_ENV} is not set: set it to the token clients send as their Authorization header, or pass --no-auth to accept any request`);
  }
  for (const origin of options.corsOrigin ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`--cors-origin must be an origin such as http://localhost:8233 (scheme, host, port; no path), got "${origin}"`);
  }
  const server = await startCodecServer({ codec: new AesGcmCodec(keys), port, host: options.host, corsOrigins: options.corsOrigin, authToken });
  const readable = [...keys.readable.keys()].join(', ');
  console.log(`lms-export codec server at ${server.url} (writes with key ${keys.current.id}; reads keys ${readable})${authToken === undefined ? '; no Authorization required' : ''}`);
  console.log(`  temporal workflow show --workflow-id <id> --codec-endpoint ${server.url}${authToken === undefined ? '' : ` --codec-auth "$${CODEC_AUTH_TOKEN_ENV}"`}`);
  const stop = (): void => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
