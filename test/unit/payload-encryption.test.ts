import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from '@jest/globals';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, ENCRYPTION_KEY_ID_METADATA } from '../../src/codec/aes-gcm-codec';
import { encryptionKeysFromEnv, keyId } from '../../src/codec/encryption-keys';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const secret = { cursor: 'https://canvas.example.edu/api/v1/accounts/1/users?page=bookmark:abc&per_page=100' };

function codecOf(env: NodeJS.ProcessEnv): AesGcmCodec {
  const keys = encryptionKeysFromEnv(env);
  assert.ok(keys);
  return new AesGcmCodec(keys);
}

const text = (payload: Payload): string => `${Object.values(payload.metadata ?? {}).map((v) => Buffer.from(v).toString()).join(' ')} ${Buffer.from(payload.data ?? []).toString()}`;

describe('payload encryption keys', () => {
  it('is off without LMS_EXPORT_ENCRYPTION_KEY', () => assert.equal(encryptionKeysFromEnv({}), undefined));

  it('names the key by the first 8 hex digits of its SHA-256', () => {
    const keys = encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyA });
    assert.equal(keys?.current.id, keyId(Buffer.from(keyA, 'base64')));
    assert.match(keys?.current.id ?? '', /^[0-9a-f]{8}$/);
  });

  it('refuses a malformed key at once, naming its variable and not showing the value', () => {
    for (const bad of ['abc', randomBytes(16).toString('base64'), `${keyA.slice(0, -2)}!=`]) {
      assert.throws(() => encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: bad }), (error: Error) => error.message.startsWith('LMS_EXPORT_ENCRYPTION_KEY must be 32 bytes in base64') && !error.message.includes(bad));
    }
    assert.throws(() => encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyA, LMS_EXPORT_ENCRYPTION_KEYS: `${keyB},short` }), /LMS_EXPORT_ENCRYPTION_KEYS entry 2 must be 32 bytes/);
    assert.throws(() => encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyA, LMS_EXPORT_ENCRYPTION_KEYS: `deadbeef:${keyB}` }), /entry 1: key id "deadbeef" does not match its key/);
    assert.throws(() => encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEYS: keyB }), /LMS_EXPORT_ENCRYPTION_KEYS is set but LMS_EXPORT_ENCRYPTION_KEY is not/);
  });

  it('accepts old keys as base64 or keyId:base64', () => {
    const idB = keyId(Buffer.from(keyB, 'base64'));
    const keys = encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyA, LMS_EXPORT_ENCRYPTION_KEYS: `${idB}:${keyB}` });
    assert.deepEqual([...(keys?.readable.keys() ?? [])].sort(), [keys?.current.id, idB].sort());
  });
});

describe('AES-256-GCM payload codec', () => {
  const codec = codecOf({ LMS_EXPORT_ENCRYPTION_KEY: keyA });

  it('hides data and metadata, names the key, and decodes to the original payload', async () => {
    const original = defaultPayloadConverter.toPayload(secret);
    const [encrypted] = await codec.encode([original]);
    assert.ok(encrypted);
    assert.equal(Buffer.from(encrypted.metadata?.['encoding'] ?? []).toString(), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(encrypted.metadata?.[ENCRYPTION_KEY_ID_METADATA] ?? []).toString(), keyId(Buffer.from(keyA, 'base64')));
    assert.ok(!text(encrypted).includes('per_page'), 'the cursor is not readable');
    assert.ok(!text(encrypted).includes('json/plain'), 'the original encoding is not readable');
    const [decoded] = await codec.decode([encrypted]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), secret);
  });

  it('uses a fresh IV per payload', async () => {
    const payload = defaultPayloadConverter.toPayload(secret);
    const [first, second] = await codec.encode([payload, payload]);
    assert.notDeepEqual(Buffer.from(first!.data!), Buffer.from(second!.data!));
  });

  it('passes unencrypted payloads through on decode (history from before encryption)', async () => {
    const plain = defaultPayloadConverter.toPayload(secret);
    assert.deepEqual(await codec.decode([plain]), [plain]);
  });

  it('after a rotation, reads payloads of the old key and writes with the new one', async () => {
    const [written] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
    const rotated = codecOf({ LMS_EXPORT_ENCRYPTION_KEY: keyB, LMS_EXPORT_ENCRYPTION_KEYS: keyA });
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([written!]))[0]!), secret);
    const [rewritten] = await rotated.encode([defaultPayloadConverter.toPayload(secret)]);
    assert.equal(Buffer.from(rewritten!.metadata![ENCRYPTION_KEY_ID_METADATA]!).toString(), keyId(Buffer.from(keyB, 'base64')));
  });

  it('refuses a payload of an unknown key, saying which key to add', async () => {
    const [written] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
    const other = codecOf({ LMS_EXPORT_ENCRYPTION_KEY: keyB });
    await assert.rejects(other.decode([written!]), new RegExp(`encrypted with key ${keyId(Buffer.from(keyA, 'base64'))}.*add that key to LMS_EXPORT_ENCRYPTION_KEYS`));
  });

  it('refuses an altered payload', async () => {
    const [written] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
    const data = Buffer.from(written!.data!);
    data[20] = (data[20] ?? 0) ^ 1;
    await assert.rejects(codec.decode([{ ...written!, data }]), /failed authentication/);
  });
});
