import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildCli } from '../../src/client/cli';
import { TASK_QUEUE } from '../../src/client/settings';
import { parseExportSpec } from '../../src/spec/parse-spec';

/** No Docker engine runs in CI, so the compose file is checked by reading it against the code it deploys. */

const root = join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: string[];
  container_name?: string;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const worker = services['worker'] as Service;

/** Environment variables our source code reads, e.g. `env['TEMPORAL_ADDRESS']`. */
function envVarsReadBy(file: string): string[] {
  return [...readFileSync(join(root, file), 'utf8').matchAll(/env\['([A-Z_]+)'\]/g)].map((m) => m[1] as string);
}

function hostPort(address: string): [string, string] {
  const match = /^(?:[a-z]+:\/\/(?:[^@/]*@)?)?([^:/]+):(\d+)/.exec(address);
  assert.ok(match, `${address} names a host and port`);
  return [match[1] as string, match[2] as string];
}

function containerPorts(service: Service): string[] {
  return (service.ports ?? []).map((p) => p.split(':').pop() as string);
}

describe('docker-compose.yml', () => {
  it('has the Temporal server, its database, the Web UI, a sink database and the worker', () => {
    for (const name of ['temporal', 'temporal-db', 'temporal-ui', 'sink-db', 'worker']) assert.ok(services[name], `service ${name}`);
  });

  it('builds the worker from this repository, running our CLI worker command', () => {
    const dockerfile = join(root, worker.build?.context ?? '', worker.build?.dockerfile ?? 'Dockerfile');
    assert.ok(existsSync(dockerfile));
    const text = readFileSync(dockerfile, 'utf8');
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(text)?.[1];
    assert.deepEqual(JSON.parse(cmd ?? '[]'), ['node', 'bin/lms-export.js', 'worker']);
    assert.ok(buildCli().commands.some((c) => c.name() === 'worker'));
    for (const copied of text.matchAll(/^COPY\s+(.+)$/gm)) {
      const sources = (copied[1] as string).trim().split(/\s+/).slice(0, -1);
      for (const path of sources) assert.ok(existsSync(join(root, path)), `Dockerfile copies ${path}, which exists`);
    }
  });

  it('lets the worker scale: no fixed name, no host port', () => {
    assert.equal(worker.container_name, undefined);
    assert.equal(worker.ports, undefined);
  });

  it('gives the worker the variables the code reads, pointing at services that exist on their ports', () => {
    const read = new Set([...envVarsReadBy('src/client/settings.ts')]);
    const env = worker.environment ?? {};
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'LMS_EXPORT_TASK_QUEUE']) {
      assert.ok(read.has(name), `the code reads ${name}`);
      assert.ok(env[name], `the worker sets ${name}`);
    }
    assert.equal(env['LMS_EXPORT_TASK_QUEUE'], TASK_QUEUE);
    const [temporalHost, temporalPort] = hostPort(env['TEMPORAL_ADDRESS'] as string);
    assert.ok(containerPorts(services[temporalHost] as Service).includes(temporalPort), 'TEMPORAL_ADDRESS is the temporal service port');
    const [uiTarget, uiPort] = hostPort(services['temporal-ui']?.environment?.['TEMPORAL_ADDRESS'] ?? '');
    assert.deepEqual([uiTarget, uiPort], [temporalHost, temporalPort]);
    const [sinkHost, sinkPort] = hostPort(env['LMS_SINK_URL'] ?? '');
    assert.ok(containerPorts(services[sinkHost] as Service).includes(sinkPort), 'LMS_SINK_URL is the sink-db service port');
    const sinkUser = services[sinkHost]?.environment?.['POSTGRES_USER'];
    assert.match(env['LMS_SINK_URL'] ?? '', new RegExp(`^postgres://${sinkUser}:`));
  });

  it('names in depends_on only services that exist, and declares its volumes', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of service.depends_on ?? []) assert.ok(services[dependency], `${name} depends on ${dependency}`);
    }
    assert.ok(compose.volumes?.['temporal-db'] !== undefined && compose.volumes?.['sink-db'] !== undefined);
  });

  it('ships example specs that validate and use the variables the worker is given', () => {
    const env = worker.environment ?? {};
    for (const file of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.json'))) {
      const spec = parseExportSpec(JSON.parse(readFileSync(join(root, 'examples', file), 'utf8')));
      if (file.startsWith('docker')) {
        assert.ok(spec.sink.kind === 'postgres' && spec.sink.urlEnv !== undefined && env[spec.sink.urlEnv], `${file} sink env`);
        assert.ok(spec.source.auth && env[spec.source.auth.bearerTokenEnv ?? ''] !== undefined, `${file} token env`);
      }
    }
  });
});
