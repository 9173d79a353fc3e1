/** Durations as operators write them: `90s`, `30m`, `1h`, `24h`, `7d` (a bare number is seconds). Pure: the workflow uses it too. */
export const INTERVAL_PATTERN = /^(\d+(?:\.\d+)?)\s*(d|h|m|s)?$/;

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Seconds in `text`, or undefined when it is not a duration. */
export function intervalSeconds(text: string): number | undefined {
  const match = INTERVAL_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
}
