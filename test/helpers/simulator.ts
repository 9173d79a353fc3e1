import { LmsSimulator, type SimulatorOptions } from '../../src/simulator/server';

/** A simulator of its own for one test body, stopped whatever the body does. */
export async function withSimulator<T>(options: SimulatorOptions, body: (simulator: LmsSimulator) => Promise<T>): Promise<T> {
  const simulator = new LmsSimulator(options);
  await simulator.start();
  try {
    return await body(simulator);
  } finally {
    await simulator.stop();
  }
}
