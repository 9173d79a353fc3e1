/** `work` run at most once at a time and, once it succeeded, never again: a table created on first use. */
export function once(work: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= work().catch((error: unknown) => {
      // A failed attempt (the database briefly down) is tried again by the next caller.
      done = undefined;
      throw error;
    });
    return done;
  };
}
