import type { Command } from 'commander';
import { z } from 'zod';
import { CODEC_AUTH_TOKEN_ENV } from '../codec/codec-server';
import { ENCRYPTION_KEY_ENV } from '../codec/encryption-keys';
import { runCodecServer, type CodecServerCommandOptions } from '../codec/run-codec-server';
import { exportSpecSchema } from '../spec/export-spec';
import { connectClient } from '../client/exports';
import { registerSearchAttributes } from '../client/search-attributes';

/** The verbs that set a deployment up: its worker, the codec server for the Web UI, search attributes, the spec's schema. */
export function addSetupVerbs(program: Command): void {
  // Required only here (the CLI runs as CommonJS): the worker's SDK takes longer to load than a status or pause command takes to run.
  program.command('worker').description('run a worker on the lms-export task queue').action(() => (require('../worker/worker') as typeof import('../worker/worker')).runWorkerProcess());

  program
    .command('codec-server')
    .description(`decrypt history for the Web UI and \`temporal --codec-endpoint\` (Temporal's remote codec protocol), with the keys of ${ENCRYPTION_KEY_ENV}(S)`)
    .requiredOption('--port <port>', 'port to listen on')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--cors-origin <origin...>', 'origin of the Web UI that may call it from a browser, e.g. http://localhost:8233')
    .option('--no-auth', `accept requests without the Authorization header ${CODEC_AUTH_TOKEN_ENV} holds`)
    .action(async (opts: CodecServerCommandOptions) => void (await runCodecServer(opts)));

  program
    .command('setup')
    .description("register lms-export's search attributes (LmsSpec, LmsPhase, LmsVerdict, …) on the namespace, so runs can be filtered by them")
    .action(async () => {
      const client = await connectClient();
      const namespace = client.options.namespace;
      const added = await registerSearchAttributes(client.connection, namespace);
      console.log(added.length === 0 ? `namespace ${namespace} has every lms-export search attribute already` : `namespace ${namespace}: registered ${added.join(', ')}`);
    });

  program
    .command('spec-schema')
    .description('print the JSON Schema of an ExportSpec')
    .action(() => console.log(JSON.stringify(z.toJSONSchema(exportSpecSchema, { io: 'input' }), null, 2)));
}
