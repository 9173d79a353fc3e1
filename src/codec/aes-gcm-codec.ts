import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { OLD_ENCRYPTION_KEYS_ENV, type EncryptionKeys } from './encryption-keys';

/** The encoding of an encrypted payload; its data is the IV, the ciphertext of the whole original payload, the tag. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata entry naming the key a payload was encrypted with (see encryption-keys.ts). */
export const ENCRYPTION_KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const { Payload: PayloadProto } = temporal.api.common.v1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts every payload with AES-256-GCM under the current key, metadata included (the original payload is
 * serialized whole, so its encoding and any metadata are hidden too); decrypts with whichever known key a
 * payload names, so runs written before a key rotation stay readable. Payloads that are not encrypted pass
 * through unchanged on decode: history written before encryption was turned on still reads.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: EncryptionKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key id is authenticated with the data: a payload relabelled to another key fails to decrypt.
    cipher.setAAD(Buffer.from(id));
    const plaintext = PayloadProto.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING), [ENCRYPTION_KEY_ID_METADATA]: encoder.encode(id) }, data };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (encoding === undefined || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA];
    if (idBytes === undefined) throw new Error(`an encrypted payload has no ${ENCRYPTION_KEY_ID_METADATA} in its metadata`);
    const id = decoder.decode(idBytes);
    const known = this.keys.readable.get(id);
    if (known === undefined) {
      throw new Error(`a payload is encrypted with key ${id}, which is neither LMS_EXPORT_ENCRYPTION_KEY nor in ${OLD_ENCRYPTION_KEYS_ENV}: add that key to ${OLD_ENCRYPTION_KEYS_ENV}`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`an encrypted payload (key ${id}) is too short to hold an IV and a tag`);
    const decipher = createDecipheriv('aes-256-gcm', known.key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`an encrypted payload (key ${id}) failed authentication: it was altered, or written with another key of the same id`);
    }
    const decoded = PayloadProto.decode(plaintext);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}
