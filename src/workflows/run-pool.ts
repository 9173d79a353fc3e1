/**
 * Runs `work(0) … work(count - 1)` with at most `limit` in flight, starting the next as one finishes, in index
 * order (so the commands a workflow issues, and therefore its history, are deterministic). Results come back in
 * index order.
 */
export async function runPool<T>(count: number, limit: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}
