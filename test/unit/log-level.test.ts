import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import type { LogEntry } from '@temporalio/worker';
import { RuntimeLogger } from '../../src/worker/runtime-logger';
import { logLevel } from '../../src/client/settings';

describe('LMS_EXPORT_LOG_LEVEL', () => {
  it('defaults to warn and takes the five level names in any case', () => {
    assert.equal(logLevel({}), 'warn');
    assert.equal(logLevel({ LMS_EXPORT_LOG_LEVEL: 'DEBUG' }), 'debug');
    assert.equal(logLevel({ LMS_EXPORT_LOG_LEVEL: 'error' }), 'error');
  });

  it('refuses anything else, naming the variable and the levels', () => {
    assert.throws(() => logLevel({ LMS_EXPORT_LOG_LEVEL: 'verbose' }), /LMS_EXPORT_LOG_LEVEL must be one of error, warn, info, debug, trace; got "verbose"/);
  });
});

describe('the runtime logger', () => {
  function logged(level: 'warn' | 'debug'): LogEntry[] {
    const entries: LogEntry[] = [];
    const logger = new RuntimeLogger(level, (entry) => entries.push(entry));
    logger.warn('No workflows registered, not polling for workflow tasks');
    logger.info('Workflow bundle created');
    logger.warn('Activity failed');
    return entries;
  }

  it("hides the request-queue workers' start-up warning and INFO lines at warn, keeping real warnings", () => {
    assert.deepEqual(logged('warn').map((e) => e.message), ['Activity failed']);
  });

  it('shows them all at debug, the start-up warning as debug', () => {
    assert.deepEqual(logged('debug').map((e) => [e.level, e.message]), [
      ['DEBUG', 'No workflows registered, not polling for workflow tasks'],
      ['INFO', 'Workflow bundle created'],
      ['WARN', 'Activity failed'],
    ]);
  });
});
