import { DefaultFailureConverter } from '@temporalio/common';

/**
 * The failure converter of encrypted deployments, loaded by path (DataConverter.failureConverterPath) both in the
 * worker and inside the workflow sandbox, so it imports nothing but the SDK. It moves each failure's message and
 * stack trace into a payload, which the payload codec then encrypts: error texts name URLs and paths too.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
