/**
 * Runs a bench's main and sets the exit code from it. `exitWhenDone`: exit as soon as main is done, for benches
 * whose killed worker processes can keep the dev server's teardown waiting once the figures are out.
 */
export function runBench(main: () => Promise<void>, options: { exitWhenDone?: boolean } = {}): void {
  main().then(
    () => {
      if (options.exitWhenDone) process.exit(process.exitCode ?? 0);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
      if (options.exitWhenDone) process.exit(1);
    },
  );
}
