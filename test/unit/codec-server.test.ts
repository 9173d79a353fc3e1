import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { startCodecServer, type CodecServer } from '../../src/codec/codec-server';
import { encryptionKeysFromEnv } from '../../src/codec/encryption-keys';
import { runCodecServer } from '../../src/codec/run-codec-server';

const TOKEN = randomBytes(16).toString('hex');
const UI_ORIGIN = 'http://localhost:8233';
const keys = encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
assert.ok(keys);
const codec = new AesGcmCodec(keys);
let server: CodecServer;

beforeAll(async () => {
  server = await startCodecServer({ codec, port: 0, corsOrigins: [UI_ORIGIN], authToken: TOKEN });
});
afterAll(() => server?.close());

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data, 'base64')),
});

async function post(path: string, payloads: Payload[], headers: Record<string, string> = { authorization: TOKEN }) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify({ payloads: payloads.map(toJson) }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }>; error?: string } };
}

describe('codec server', () => {
  const original = defaultPayloadConverter.toPayload({ cursor: '/api/v1/accounts/1/users?per_page=100' });

  it('refuses a request without the Authorization header, or with another token', async () => {
    assert.equal((await post('/decode', [original], {})).status, 401);
    assert.equal((await post('/encode', [original], { authorization: 'Bearer nope' })).status, 401);
  });

  it('encodes as the SDK codec does (its output decodes with the codec) and decodes the codec\'s output', async () => {
    const encoded = await post('/encode', [original]);
    assert.equal(encoded.status, 200);
    const [serverEncoded] = encoded.body.payloads.map(fromJson);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await codec.decode([serverEncoded!]))[0]!), { cursor: '/api/v1/accounts/1/users?per_page=100' });

    const [codecEncoded] = await codec.encode([original]);
    const decoded = await post('/decode', [codecEncoded!, serverEncoded!], { authorization: `Bearer ${TOKEN}` });
    assert.equal(decoded.status, 200);
    assert.deepEqual(decoded.body.payloads, [toJson(original), toJson(original)]);
  });

  it('answers the Web UI\'s preflight and allows its origin only', async () => {
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,x-namespace' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type, authorization, x-namespace');
    const other = await post('/decode', [original], { authorization: TOKEN, origin: 'http://evil.example' });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('reports a payload of a key it lacks as a 400 naming the key', async () => {
    const other = new AesGcmCodec(encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: randomBytes(32).toString('base64') })!);
    const response = await post('/decode', await other.encode([original]));
    assert.equal(response.status, 400);
    assert.match(response.body.error ?? '', /encrypted with key [0-9a-f]{8}/);
  });

  it('does not start without a token unless --no-auth, nor without keys', async () => {
    const env = { LMS_EXPORT_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    await assert.rejects(runCodecServer({ port: '0', host: '127.0.0.1', auth: true }, env), /LMS_EXPORT_CODEC_AUTH_TOKEN is not set.*--no-auth/);
    await assert.rejects(runCodecServer({ port: '0', host: '127.0.0.1', auth: false }, {}), /LMS_EXPORT_ENCRYPTION_KEY is not set/);
    await assert.rejects(runCodecServer({ port: '0', host: '127.0.0.1', auth: false, corsOrigin: ['localhost:8233'] }, env), /--cors-origin must be an origin/);
  });
});
