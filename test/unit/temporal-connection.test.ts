import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { temporalConnectionOptions } from '../../src/client/temporal-connection';

const dir = mkdtempSync(join(tmpdir(), 'lms-tls-'));
const pem = (name: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
  return path;
};

describe('connection to Temporal from the environment', () => {
  it('is plain localhost:7233 by default', () => assert.deepEqual(temporalConnectionOptions({}), { address: 'localhost:7233' }));

  it('reads the variables the Temporal CLI reads: address, API key (which turns TLS on), CA, client pair, server name', () => {
    assert.deepEqual(temporalConnectionOptions({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }), { address: 'ns.acct.tmprl.cloud:7233', apiKey: 'k', tls: true });
    const options = temporalConnectionOptions({
      TEMPORAL_ADDRESS: '127.0.0.1:7234',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pem('ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: pem('client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: pem('client-key.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.ok(typeof options.tls === 'object' && options.tls !== null);
    assert.equal(options.tls.serverNameOverride, 'temporal.internal');
    assert.match(Buffer.from(options.tls.serverRootCACertificate ?? []).toString(), /ca\.pem/);
    assert.match(Buffer.from(options.tls.clientCertPair?.crt ?? []).toString(), /client\.pem/);
    assert.match(Buffer.from(options.tls.clientCertPair?.key ?? []).toString(), /client-key\.pem/);
  });

  it('fails at once on a path that cannot be read, naming the variable', () => {
    for (const variable of ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']) {
      assert.throws(() => temporalConnectionOptions({ TEMPORAL_TLS_CLIENT_CERT_PATH: pem('c.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: pem('k.pem'), [variable]: join(dir, 'missing.pem') }), new RegExp(`^Error: ${variable}=.*missing\\.pem cannot be read \\(no such file\\)`));
    }
    assert.throws(() => temporalConnectionOptions({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: dir }), /TEMPORAL_TLS_SERVER_CA_CERT_PATH=.* cannot be read \(not a file\)/);
  });

  it('refuses a client certificate without its key', () => {
    assert.throws(() => temporalConnectionOptions({ TEMPORAL_TLS_CLIENT_CERT_PATH: pem('only.pem') }), /TEMPORAL_TLS_CLIENT_CERT_PATH is set without TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });
});
