import { accessSync, constants, statSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { temporalAddress } from './settings';

/** The file paths the Temporal CLI also reads (`temporal options`), checked before any connection is tried. */
export const TLS_PATH_VARIABLES = ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH'] as const;

/** What both connection kinds (the client's Connection, the worker's NativeConnection) take alike. */
export type TemporalConnectionOptions = Pick<ConnectionOptions, 'tls' | 'metadata'> & { address: string; apiKey?: string };

/**
 * How every client and worker of the project connects to Temporal: from the variables the Temporal CLI reads
 * (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_CLIENT_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_KEY_PATH, the *_DATA forms of those, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*), through the
 * SDK's own reader of them. TLS is on as soon as any TLS setting or an API key is given. The CLI's TOML profiles
 * are not read: one deployment is configured one way, by its environment. A path that cannot be read fails here,
 * naming its variable, before anything is sent.
 */
export function temporalConnectionOptions(env: NodeJS.ProcessEnv = process.env): TemporalConnectionOptions {
  for (const variable of TLS_PATH_VARIABLES) {
    const path = env[variable];
    if (path) assertReadableFile(variable, path);
  }
  const hasCert = Boolean(env['TEMPORAL_TLS_CLIENT_CERT_PATH'] || env['TEMPORAL_TLS_CLIENT_CERT_DATA']);
  const hasKey = Boolean(env['TEMPORAL_TLS_CLIENT_KEY_PATH'] || env['TEMPORAL_TLS_CLIENT_KEY_DATA']);
  if (hasCert !== hasKey) {
    throw new Error(`${hasCert ? 'TEMPORAL_TLS_CLIENT_CERT_PATH' : 'TEMPORAL_TLS_CLIENT_KEY_PATH'} is set without ${hasCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH'}: a client certificate needs its key (mTLS), and the key its certificate`);
  }
  const defined = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const { connectionOptions } = loadClientConnectConfig({ disableFile: true, overrideEnvVars: defined });
  return {
    address: connectionOptions.address ?? temporalAddress(env),
    ...(connectionOptions.tls === undefined ? {} : { tls: connectionOptions.tls }),
    ...(connectionOptions.apiKey === undefined ? {} : { apiKey: connectionOptions.apiKey }),
    ...(connectionOptions.metadata === undefined ? {} : { metadata: connectionOptions.metadata }),
  };
}

function assertReadableFile(variable: string, path: string): void {
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.R_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`${variable}=${path} cannot be read (${reason}); point it at a PEM file`);
  }
}
