// The workflow bundle's entry point: every workflow type the worker registers.
export { exportResource } from './export-resource';
export { exportRun } from './export-run';
export { deletionScan } from './deletion-scan';
export { updateScan } from './update-scan';
export { fanOut } from './fan-out';
