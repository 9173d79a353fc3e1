import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { encryptionKeysFromEnv, type EncryptionKeys } from './encryption-keys';

/** The module the worker, its workflow bundle and every client load the failure converter of encrypted history from. */
// A path built from this module's folder, not require.resolve: the prebuilt worker code (bin/prebuilt-code.js) keeps
// each module's own __dirname, while a relative require would resolve from the prebuilt file's folder.
export const ENCRYPTED_FAILURE_CONVERTER_PATH = join(__dirname, 'failure-converter.ts');

/**
 * The data converter of every client and worker the project creates: with keys, payloads are encrypted
 * (aes-gcm-codec.ts) and failure messages too (failure-converter.ts); without, the SDK's defaults, as before.
 * Codecs run outside the workflow sandbox; the failure converter runs inside it as well, which is why the
 * worker's workflow bundle is built with the same path (workflow-bundle.ts).
 */
export function exportDataConverter(keys: EncryptionKeys | undefined = encryptionKeysFromEnv()): DataConverter | undefined {
  if (keys === undefined) return undefined;
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH };
}

/** `{ dataConverter }` for a Client's or Worker's options, or nothing when history is not encrypted. */
export function dataConverterOption(keys: EncryptionKeys | undefined = encryptionKeysFromEnv()): { dataConverter?: DataConverter } {
  const dataConverter = exportDataConverter(keys);
  return dataConverter === undefined ? {} : { dataConverter };
}
