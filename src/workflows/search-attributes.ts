import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { parseVerdict, type VerdictKind } from '../integrity/verdict';
import type { ExportSpec } from '../spec/export-spec';

/**
 * The custom search attributes of an export run, so the Web UI and `temporal workflow list` filter runs by spec,
 * source, phase or verdict (`LmsSpec = "canvas-nightly" AND LmsVerdict = "incomplete"`). They are stored in clear
 * on the server (no payload codec applies to them): only names, a host, a phase, a verdict and counts, never a
 * path, a query or a record value.
 */
export const LMS_SPEC = defineSearchAttributeKey('LmsSpec', SearchAttributeType.KEYWORD);
export const LMS_SOURCE = defineSearchAttributeKey('LmsSource', SearchAttributeType.KEYWORD);
export const LMS_PRESET = defineSearchAttributeKey('LmsPreset', SearchAttributeType.KEYWORD);
export const LMS_RESOURCES = defineSearchAttributeKey('LmsResources', SearchAttributeType.KEYWORD_LIST);
export const LMS_PHASE = defineSearchAttributeKey('LmsPhase', SearchAttributeType.KEYWORD);
export const LMS_PAUSED = defineSearchAttributeKey('LmsPaused', SearchAttributeType.BOOL);
export const LMS_VERDICT = defineSearchAttributeKey('LmsVerdict', SearchAttributeType.KEYWORD);
export const LMS_RECORDS = defineSearchAttributeKey('LmsRecords', SearchAttributeType.INT);

/** Every key, for registering them on a namespace (`lms-export setup`, the dev server's flags). */
export const LMS_SEARCH_ATTRIBUTES = [LMS_SPEC, LMS_SOURCE, LMS_PRESET, LMS_RESOURCES, LMS_PHASE, LMS_PAUSED, LMS_VERDICT, LMS_RECORDS];

/** What a run is known by from its start: spec, source host, preset, resources. */
export function startAttributes(spec: Pick<ExportSpec, 'name' | 'source' | 'resources'>): SearchAttributePair[] {
  return [
    { key: LMS_SPEC, value: spec.name },
    { key: LMS_SOURCE, value: new URL(spec.source.baseUrl).host },
    { key: LMS_PRESET, value: spec.source.preset },
    { key: LMS_RESOURCES, value: spec.resources.map((r) => r.name) },
    { key: LMS_PHASE, value: 'pending' },
    { key: LMS_PAUSED, value: false },
    { key: LMS_RECORDS, value: 0 },
  ];
}

/** Worst first: the run's verdict is its worst resource's. */
const VERDICTS: RunVerdict[] = ['failed', 'incomplete', 'complete-unverified', 'complete-with-drift', 'complete'];
export type RunVerdict = 'failed' | VerdictKind;

/** The run's verdict from its resources' (`failed`, or their completeness verdicts); undefined while none has one. */
export function runVerdict(verdicts: Array<string | undefined>): RunVerdict | undefined {
  const kinds = verdicts.filter((v): v is string => v !== undefined).map((v): RunVerdict => (v === 'failed' ? 'failed' : parseVerdict(v).kind));
  return VERDICTS.find((kind) => kinds.includes(kind));
}
