const t0 = performance.now();
const mark = (what: string) => console.log(`${Math.round(performance.now() - t0 + (process.uptime()*1000 - performance.now()))} ms ${what}`);
mark('script start (since process start)');
import('@temporalio/worker').then(async ({ NativeConnection }) => {
  mark('@temporalio/worker loaded');
  const { createExportWorker } = await import('../src/client/worker');
  mark('worker.ts loaded');
  const { installRuntimeLogger } = await import('../src/client/runtime-logger');
  installRuntimeLogger('warn' as never);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  mark('connected');
  const w = await createExportWorker({ connection, taskQueue: 'startline', log: (l) => mark(l) });
  mark('worker created');
  const running = w.run();
  setTimeout(() => { mark('shutting down'); w.shutdown(); }, 1500);
  await running;
  await connection.close();
});
