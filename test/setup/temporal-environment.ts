import vm from 'node:vm';
import { TestEnvironment } from 'jest-environment-node';
import { ModuleMocker } from 'jest-mock';
import { TEMPORAL_RUNTIME_SLOT } from './handoff';

/** The part of @temporalio/worker's Runtime this environment uses (the SDK counts the native objects it holds). */
interface RuntimeClass {
  _instance?: { shutdown(): Promise<void>; isIdle(): boolean; backRefs: Set<unknown>; pendingCreations: number };
}

/** What getVmContext hands jest-runtime instead of a sandbox: compile the module in Node's own context. */
const MAIN_CONTEXT = vm.createContext({ lmsExportMainContext: true });

const compileFunction = vm.compileFunction;
vm.compileFunction = function compileInMainContext(code, params, options) {
  if (options?.parsingContext !== MAIN_CONTEXT) return compileFunction(code, params, options);
  return compileFunction(code, params, { ...options, parsingContext: undefined });
};

/**
 * The environment of every test file: Node's own global, as under node:test, not a vm sandbox. In a sandbox, what
 * Node's built-ins, fetch and the native addons (Temporal's bridge, DuckDB) return belongs to the other realm:
 * arrays and objects that `assert.deepStrictEqual` calls unequal to the same literal, errors that fail
 * `instanceof Error` in our code, which would then run differently under test than in production. jest still
 * loads each file's modules afresh; what a file leaves on the shared global is put back when it ends:
 *
 * - process.env, process.exitCode, console and process.exit (jest replaces the last two for each file), and no
 *   global property the file added (jest's own per-file state among them) outlives it;
 * - the Temporal runtime: each file's copy of @temporalio/worker installs its own (a Rust runtime with its
 *   threads; Node loads the native bridge once per process), and the SDK shuts it down when the last connection,
 *   worker or dev server closes. One still installed when the file is done (its afterAll hooks included) is
 *   shut down here, so two never share a process; if it still held native objects, something (a connection, a
 *   worker, a dev server) was left open, and a warning names the file.
 *
 * jest's fake timers are not offered (they would fake a sandbox's clock): tests wait on real conditions.
 */
export default class TemporalTestEnvironment extends TestEnvironment {
  private readonly testPath: string;
  private readonly console = globalThis.console;
  private readonly exit = process.exit;
  private readonly globals = new Set(Reflect.ownKeys(globalThis));
  private finished = false;
  private env: NodeJS.ProcessEnv = {};
  private exitCode: typeof process.exitCode;

  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    this.testPath = args[1].testPath;
    this.global = globalThis as unknown as typeof this.global;
    this.moduleMocker = new ModuleMocker(globalThis);
    this.fakeTimers = null;
    this.fakeTimersModern = null;
  }

  override getVmContext(): vm.Context {
    return MAIN_CONTEXT;
  }

  override async setup(): Promise<void> {
    await super.setup();
    this.env = { ...process.env };
    this.exitCode = process.exitCode;
  }

  async handleTestEvent(event: { name: string }): Promise<void> {
    if (event.name !== 'run_finish' || this.finished) return;
    this.finished = true;
    await this.shutDownTemporalRuntime();
  }

  override async teardown(): Promise<void> {
    for (const name of Object.keys(process.env)) if (!(name in this.env)) delete process.env[name];
    Object.assign(process.env, this.env);
    process.exitCode = this.exitCode;
    globalThis.console = this.console;
    process.exit = this.exit;
    for (const key of Reflect.ownKeys(globalThis)) if (!this.globals.has(key)) Reflect.deleteProperty(globalThis, key);
    await super.teardown();
  }

  private async shutDownTemporalRuntime(): Promise<void> {
    const slots = globalThis as unknown as Record<symbol, RuntimeClass | undefined>;
    const runtime = slots[TEMPORAL_RUNTIME_SLOT]?._instance;
    delete slots[TEMPORAL_RUNTIME_SLOT];
    if (runtime === undefined) return;
    const held = runtime.isIdle() ? undefined : `${runtime.backRefs.size} native object(s) open, ${runtime.pendingCreations} being created`;
    await runtime.shutdown();
    if (held !== undefined) process.stderr.write(`\n${this.testPath} left its Temporal runtime running (${held}), shut down now: close every connection, worker and dev server a test file starts in afterAll\n`);
  }
}
