import { DefaultLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { LogLevelName } from '../client/settings';

/**
 * Start-up lines the SDK logs above their worth to us: our request-queue workers run page requests only, so
 * each says at start that it has no workflows. Shown at debug, like webpack's bundling output (logged at info).
 */
const EXPECTED_WARNINGS = ['No workflows registered'];

/** The SDK's logger at LMS_EXPORT_LOG_LEVEL, with the expected start-up warnings demoted to debug. */
export class RuntimeLogger extends DefaultLogger {
  constructor(level: LogLevelName, logFunction?: ConstructorParameters<typeof DefaultLogger>[1]) {
    super(level.toUpperCase() as LogLevel, logFunction);
  }

  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const expected = level === 'WARN' && EXPECTED_WARNINGS.some((start) => message.startsWith(start));
    super.log(expected ? 'DEBUG' : level, message, meta);
  }
}
