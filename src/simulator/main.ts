import { LmsSimulator } from './server';

/** `tsx src/simulator/main.ts [port]`: runs the simulator on its own, e.g. for a worker in another shell. */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? process.env['SIMULATOR_PORT'] ?? 4010);
  const simulator = new LmsSimulator({ port, users: 5_000 });
  const url = await simulator.start();
  console.log(`LMS simulator at ${url}/api/v1 (bearer token: ${simulator.token}); truth at ${url}/_sim/truth/<path>`);
  const stop = (): void => void simulator.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
