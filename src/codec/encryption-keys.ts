import { createHash } from 'node:crypto';

/** The variable holding the key new payloads are encrypted with (base64 of 32 random bytes). */
export const ENCRYPTION_KEY_ENV = 'LMS_EXPORT_ENCRYPTION_KEY';
/** Older keys, still accepted for decryption after a rotation: `base64key` or `keyId:base64key`, comma-separated. */
export const OLD_ENCRYPTION_KEYS_ENV = 'LMS_EXPORT_ENCRYPTION_KEYS';

const KEY_BYTES = 32;

export interface EncryptionKey {
  /** First 8 hex digits of the key's SHA-256: names the key in each payload's metadata without revealing it. */
  id: string;
  key: Buffer;
}

export interface EncryptionKeys {
  /** The key new payloads are written with. */
  current: EncryptionKey;
  /** Every key a payload may be read with, by id (the current one included). */
  readable: ReadonlyMap<string, EncryptionKey>;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * The payload encryption keys from the environment, or undefined when LMS_EXPORT_ENCRYPTION_KEY is not set
 * (history is then written in the clear, as before). A malformed key fails here, naming its variable, so a
 * worker or client never starts writing with a key nobody can read back.
 */
export function encryptionKeysFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionKeys | undefined {
  const currentValue = env[ENCRYPTION_KEY_ENV]?.trim();
  const oldValue = env[OLD_ENCRYPTION_KEYS_ENV]?.trim();
  if (!currentValue) {
    if (oldValue) throw new Error(`${OLD_ENCRYPTION_KEYS_ENV} is set but ${ENCRYPTION_KEY_ENV} is not: set ${ENCRYPTION_KEY_ENV} to the key new history is written with`);
    return undefined;
  }
  const current = parseKey(currentValue, ENCRYPTION_KEY_ENV);
  const readable = new Map<string, EncryptionKey>([[current.id, current]]);
  const entries = oldValue ? oldValue.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '') : [];
  entries.forEach((entry, index) => {
    const where = `${OLD_ENCRYPTION_KEYS_ENV} entry ${index + 1}`;
    const separator = entry.indexOf(':');
    const key = parseKey(separator === -1 ? entry : entry.slice(separator + 1), where);
    const named = separator === -1 ? undefined : entry.slice(0, separator).trim();
    if (named !== undefined && named !== key.id) throw new Error(`${where}: key id "${named}" does not match its key (whose id is ${key.id})`);
    readable.set(key.id, key);
  });
  return { current, readable };
}

function parseKey(value: string, where: string): EncryptionKey {
  const key = Buffer.from(value, 'base64');
  // Buffer.from skips characters that are not base64; re-encoding catches a typo it would silently drop.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || key.toString('base64') !== value || key.length !== KEY_BYTES) {
    throw new Error(`${where} must be ${KEY_BYTES} bytes in base64 (make one with: openssl rand -base64 32); got ${value.length} characters that are not (the value itself is not shown)`);
  }
  return { id: keyId(key), key };
}
