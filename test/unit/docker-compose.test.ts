import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from '@jest/globals';
import { parse } from 'yaml';
import { buildCli } from '../../src/cli/main';
import { TASK_QUEUE } from '../../src/client/settings';
import { SERVER_DYNAMIC_CONFIG } from '../../src/dev/server-tuning';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { LMS_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

/** No Docker engine runs in CI, so the compose file and the Dockerfile are checked by reading them against the code they deploy. */

const root = join(__dirname, '..', '..');
type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: string[] | Record<string, { condition?: Condition }>;
  healthcheck?: { test: string[] | string };
  entrypoint?: string[];
  volumes?: string[];
  restart?: string;
  container_name?: string;
}
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const worker = services['worker'] as Service;
const dockerfile = readFileSync(join(root, worker.build?.context ?? '', worker.build?.dockerfile ?? 'Dockerfile'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

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

/** depends_on in either compose form, as service → condition (the short list form means `service_started`). */
function dependencies(service: Service): Record<string, Condition> {
  const declared = service.depends_on ?? [];
  if (Array.isArray(declared)) return Object.fromEntries(declared.map((name) => [name, 'service_started' as const]));
  return Object.fromEntries(Object.entries(declared).map(([name, d]) => [name, d.condition ?? 'service_started']));
}

function healthcheckCommand(service: Service): string {
  const test = service.healthcheck?.test ?? [];
  return Array.isArray(test) ? test.filter((part) => part !== 'CMD' && part !== 'CMD-SHELL').join(' ') : test;
}

/** `./host/path:/container/path[:ro]` volumes: [host path, container path]. */
function bindMounts(service: Service): Array<[string, string]> {
  return (service.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => v.split(':').slice(0, 2) as [string, string]);
}

/** The repository file a container path of this service comes from, through its bind mounts. */
function mountedFile(service: Service, containerPath: string): string | undefined {
  for (const [host, target] of bindMounts(service)) {
    if (containerPath.startsWith(`${target}/`)) return join(root, host, containerPath.slice(target.length + 1));
  }
  return undefined;
}

/** Docker's .dockerignore rule: a pattern excludes a path when it matches the path or one of its parent folders. */
function dockerIgnores(path: string): boolean {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  assert.ok(!patterns.some((p) => p.startsWith('!')), 'this check does not model ! exceptions in .dockerignore');
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  return patterns.some((pattern) => {
    const source = pattern
      .replace(/^\//, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '\0')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\0/g, '.*');
    const regex = new RegExp(`^${source}$`);
    return prefixes.some((prefix) => regex.test(prefix));
  });
}

/** The Dockerfile's instructions as [keyword, argument text]. */
const instructions = dockerfile
  .split('\n')
  .filter((line) => /^[A-Z]+\s/.test(line))
  .map((line) => [line.split(/\s/)[0] as string, line.slice(line.indexOf(' ') + 1).trim()] as const);
const workdir = instructions.filter(([k]) => k === 'WORKDIR').pop()?.[1] ?? '/';

function copiedTo(source: string): string | undefined {
  for (const [keyword, args] of instructions) {
    if (keyword !== 'COPY') continue;
    const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
    const destination = parts.pop() as string;
    if (parts.includes(source)) return posix.resolve(workdir, destination);
  }
  return undefined;
}

/** `examples/….json` paths named in a text. */
function examplePaths(text: string): string[] {
  return [...text.matchAll(/\bexamples\/[\w.-]+\.json\b/g)].map((m) => m[0]);
}

function readmeSection(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  assert.ok(start >= 0, `README has a "${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('docker-compose.yml', () => {
  it('has the Temporal server, its database and schema setup, admin tools, the Web UI, a sink database and the worker', () => {
    for (const name of ['temporal', 'temporal-db', 'temporal-schema', 'temporal-admin-tools', 'temporal-ui', 'sink-db', 'worker']) {
      assert.ok(services[name], `service ${name}`);
    }
  });

  it('builds the worker from this repository, running our CLI worker command', () => {
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
    assert.deepEqual(JSON.parse(cmd ?? '[]'), ['node', 'bin/lms-export.js', 'worker']);
    assert.ok(buildCli().commands.some((c) => c.name() === 'worker'));
    for (const [keyword, args] of instructions) {
      if (keyword !== 'COPY') continue;
      const sources = args.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1);
      for (const path of sources) {
        assert.ok(existsSync(join(root, path)), `Dockerfile copies ${path}, which exists`);
        assert.ok(!dockerIgnores(path), `Dockerfile copies ${path}, which .dockerignore leaves in the build context`);
      }
    }
  });

  it('puts examples/ in the image where the commands in README and compose name them', () => {
    assert.equal(copiedTo('examples'), posix.join(workdir, 'examples'), 'COPY examples lands beside bin/ in the working directory');
    for (const file of readdirSync(join(root, 'examples'))) {
      assert.ok(!dockerIgnores(`examples/${file}`), `.dockerignore keeps examples/${file} in the build context`);
    }
    const named = [...examplePaths(readme), ...examplePaths(composeText), ...examplePaths(dockerfile)];
    assert.ok(named.includes('examples/docker-postgres.json'));
    for (const path of named) assert.ok(existsSync(join(root, path)), `${path} (named in README or compose) exists`);
  });

  it('mounts ./specs for the user\'s own specs, and the README and compose commands run CLI verbs that exist', () => {
    assert.ok(bindMounts(worker).some(([host, target]) => host === './specs' && target === posix.join(workdir, 'specs')));
    const verbs = new Set(buildCli().commands.map((c) => c.name()));
    const command = /docker compose run --rm worker node bin\/lms-export\.js ([a-z][a-z-]*)/g;
    const commands = [...readmeSection('Running it for real: docker compose').matchAll(command), ...composeText.matchAll(command)];
    assert.ok(commands.length >= 2, 'README and compose show how to start an export');
    for (const [line, verb] of commands) assert.ok(verbs.has(verb as string), `${line}: lms-export has a ${verb} command`);
  });

  it('runs the code as a non-root user that owns the data folder DuckDB sinks write to', () => {
    const users = instructions.filter(([k]) => k === 'USER').map(([, user]) => user);
    const user = users.pop();
    assert.ok(user !== undefined && user !== 'root' && user !== '0', 'the last USER is not root');
    const dataFolder = posix.join(workdir, 'data');
    const userAt = instructions.findIndex(([k, v]) => k === 'USER' && v === user);
    const chown = new RegExp(`chown (-R )?${user}(:${user})? ${dataFolder}`);
    const chownAt = instructions.findIndex(([k, v]) => k === 'RUN' && v.includes(`mkdir -p ${dataFolder}`) && chown.test(v));
    assert.ok(chownAt >= 0 && chownAt < userAt, `a RUN creates ${dataFolder} and gives it to ${user} before USER ${user}`);
    const kept = (worker.volumes ?? []).some((v) => v.split(':')[1] === dataFolder && compose.volumes?.[v.split(':')[0] as string] !== undefined);
    assert.ok(kept, `a named volume keeps ${dataFolder}`);
    for (const file of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.json'))) {
      const spec = parseExportSpec(JSON.parse(readFileSync(join(root, 'examples', file), 'utf8')));
      if (spec.sink.kind === 'duckdb') assert.ok(posix.resolve(workdir, spec.sink.path).startsWith(`${dataFolder}/`), `${file} writes under ${dataFolder}`);
    }
  });

  it('lets the worker scale: no fixed name, no host port', () => {
    assert.equal(worker.container_name, undefined);
    assert.equal(worker.ports, undefined);
  });

  it('uses the Temporal server and admin-tools images of one pinned release, not the deprecated auto-setup', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.doesNotMatch(service.image ?? '', /auto-setup/, `${name} does not use temporalio/auto-setup`);
      if (service.image) assert.match(service.image, /:\d+(\.\d+)*$/, `${name} pins its image version`);
    }
    const server = services['temporal']?.image ?? '';
    assert.match(server, /^temporalio\/server:\d+\.\d+\.\d+$/);
    const release = server.split(':')[1];
    for (const name of ['temporal-schema', 'temporal-admin-tools']) assert.equal(services[name]?.image, `temporalio/admin-tools:${release}`, name);
    assert.match(services['temporal-ui']?.image ?? '', /^temporalio\/ui:\d+\.\d+\.\d+$/);
  });

  it('starts Temporal on a migrated schema and the workers only once Temporal answers and their namespace exists', () => {
    const temporal = services['temporal'] as Service;
    assert.equal(dependencies(temporal)['temporal-schema'], 'service_completed_successfully');
    assert.equal(dependencies(services['temporal-schema'] as Service)['temporal-db'], 'service_healthy');
    const needs = dependencies(worker);
    assert.equal(needs['temporal'], 'service_healthy');
    assert.equal(needs['temporal-admin-tools'], 'service_healthy');
    assert.equal(needs['sink-db'], 'service_healthy');
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependencies(service))) {
        if (condition === 'service_healthy') assert.ok(services[dependency]?.healthcheck, `${name} waits for ${dependency}, which has a healthcheck`);
        if (condition === 'service_completed_successfully') assert.equal(services[dependency]?.restart, undefined, `${dependency} is a one-shot job`);
      }
    }
    // The gate is a real Temporal call made with the CLI the admin-tools image ships, on the namespace the workers use.
    const admin = services['temporal-admin-tools'] as Service;
    assert.match(healthcheckCommand(admin), /\/scripts\/temporal-namespace\.sh check$/);
    const script = readFileSync(mountedFile(admin, '/scripts/temporal-namespace.sh') ?? '', 'utf8');
    assert.match(script, /temporal workflow list --namespace "\$namespace"/, 'check: a call in the namespace the workers use');
    assert.match(script, /temporal operator namespace create --namespace "\$namespace"/);
    assert.match(script, /temporal operator cluster health/);
    // Our search attributes are registered with the namespace, each under the type the code defines.
    const types: Record<string, string> = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList', BOOL: 'Bool', INT: 'Int' };
    for (const key of LMS_SEARCH_ATTRIBUTES) assert.match(script, new RegExp(`\\b${key.name}:${types[key.type]}\\b`), `the script registers ${key.name}`);
    assert.match(script, /temporal operator search-attribute create --namespace "\$namespace"/);
    assert.equal(admin.environment?.['TEMPORAL_ADDRESS'], worker.environment?.['TEMPORAL_ADDRESS']);
    assert.equal(admin.environment?.['TEMPORAL_NAMESPACE'], worker.environment?.['TEMPORAL_NAMESPACE']);
  });

  it('points Temporal and its schema job at the Temporal database with its credentials', () => {
    const db = services['temporal-db']?.environment ?? {};
    const server = services['temporal']?.environment ?? {};
    const schema = services['temporal-schema']?.environment ?? {};
    assert.deepEqual([server['POSTGRES_SEEDS'], server['POSTGRES_USER'], server['POSTGRES_PWD']], ['temporal-db', db['POSTGRES_USER'], db['POSTGRES_PASSWORD']]);
    assert.deepEqual([schema['SQL_HOST'], schema['SQL_USER'], schema['SQL_PASSWORD']], ['temporal-db', db['POSTGRES_USER'], db['POSTGRES_PASSWORD']]);
    assert.equal(server['DB'], schema['SQL_PLUGIN']);
    assert.equal(server['BIND_ON_IP'], '0.0.0.0', 'the frontend listens beyond the container\'s own address');
  });

  it("runs Temporal with the dynamic config the dev servers get, read from a mounted file", () => {
    const temporal = services['temporal'] as Service;
    const path = temporal.environment?.['DYNAMIC_CONFIG_FILE_PATH'] ?? '';
    // The server image resolves a relative path from /etc/temporal.
    const inContainer = path.startsWith('/') ? path : posix.join('/etc/temporal', path);
    const mount = bindMounts(temporal).find(([, target]) => target === inContainer);
    assert.ok(mount, `${inContainer} is a file mounted from the repository`);
    const file = parse(readFileSync(join(root, mount[0]), 'utf8')) as Record<string, Array<{ value: unknown; constraints: object }>>;
    const values = Object.fromEntries(Object.entries(file).map(([key, entries]) => [key, entries.map((entry) => entry.value)]));
    assert.deepEqual(values, Object.fromEntries(Object.entries(SERVER_DYNAMIC_CONFIG).map(([key, value]) => [key, [value]])));
  });

  it('mounts scripts that exist and parse as sh', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [host] of bindMounts(service)) assert.ok(existsSync(join(root, host)), `${name} mounts ${host}, which exists`);
      const named = [...(service.entrypoint ?? []), healthcheckCommand(service)].join(' ').match(/\/scripts\/[\w.-]+\.sh/g) ?? [];
      for (const path of named) {
        const file = mountedFile(service, path);
        assert.ok(file !== undefined && existsSync(file), `${name} runs ${path}, which a mount provides`);
        execFileSync('sh', ['-n', file]);
      }
    }
  });

  it('gives the worker the variables the code reads, pointing at services that exist on their ports', () => {
    const read = new Set([...envVarsReadBy('src/client/settings.ts')]);
    const env = worker.environment ?? {};
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'LMS_EXPORT_TASK_QUEUE']) {
      assert.ok(read.has(name), `the code reads ${name}`);
      assert.ok(env[name], `the worker sets ${name}`);
    }
    for (const name of read) assert.ok(env[name] !== undefined || new RegExp(`^#\\s+${name}\\s`, 'm').test(composeText), `compose sets or documents ${name}`);
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
      for (const dependency of Object.keys(dependencies(service))) assert.ok(services[dependency], `${name} depends on ${dependency}`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(compose.volumes?.[source] !== undefined, `${name} uses volume ${source}, which is declared`);
      }
    }
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
