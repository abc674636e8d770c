/**
 * deploy/ cannot be run on the build machine (no Docker engine, no Kubernetes), so this reads every
 * manifest and holds it against the code: each service, port, probe path and environment variable
 * it names must exist there. Every check collects all its problems, each naming the file and the
 * item, and expects none.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DefaultPorts, ServiceNames } from '@parley/contracts';
import { ConfigFields, createLogger, fastifyOptions, serviceKit } from '@parley/kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { AuditLogConfigSchema } from '../../services/audit-log/src/config.ts';
import { AuthConfigSchema } from '../../services/auth/src/config.ts';
import { ChatNotifyConfigSchema } from '../../services/chat-notify/src/config.ts';
import { FaceMatchConfigSchema } from '../../services/face-match/src/config.ts';
import gatewayApp from '../../services/gateway/src/app.ts';
import { GatewayConfigSchema, loadGatewayConfig } from '../../services/gateway/src/config.ts';
import { MediaConfigSchema } from '../../services/media/src/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const deploy = join(root, 'deploy');
const rel = (path: string): string => relative(root, path);
const readText = (path: string): string => readFileSync(join(root, path), 'utf8');
const readJson = <T>(path: string): T => JSON.parse(readText(path)) as T;

type Service = 'gateway' | (typeof ServiceNames)[number];
const services: readonly Service[] = ['gateway', ...ServiceNames];
const isService = (name: unknown): name is Service => services.includes(name as Service);

const keysOf = (schema: { properties: object }): ReadonlySet<string> => new Set(Object.keys(schema.properties));
/** The variables each process reads: the keys of its real config schema. */
const schemaKeys: Record<Service, ReadonlySet<string>> = {
  gateway: keysOf(GatewayConfigSchema),
  auth: keysOf(AuthConfigSchema),
  media: keysOf(MediaConfigSchema),
  'chat-notify': keysOf(ChatNotifyConfigSchema),
  'face-match': keysOf(FaceMatchConfigSchema),
  'audit-log': keysOf(AuditLogConfigSchema),
};
/** packages/stack/src/migrate.ts builds its schema from the kit's shared fields only. */
const migrateKeys: ReadonlySet<string> = new Set(Object.keys(ConfigFields));
/** What the one image may set for whichever service it runs: variables every service reads. */
const commonKeys = [...schemaKeys.gateway].filter((key) => services.every((s) => schemaKeys[s].has(key)));

// ---- reading the files ---------------------------------------------------------------------------

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });

const parseYaml = (path: string): unknown[] =>
  parseAllDocuments(readFileSync(path, 'utf8'), { merge: true }).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${rel(path)} (document ${i + 1}): ${doc.errors[0]!.message}`);
    return doc.toJS({ maxAliasCount: -1 }) as unknown;
  });

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

/** The Dockerfile's instructions with continuation lines joined, each tagged with its stage. */
const parseDockerfile = (text: string): Instruction[] => {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const joined = `${pending}${line.replace(/\\\s*$/, '')}`;
    if (/\\\s*$/.test(line)) pending = `${joined} `;
    else {
      pending = '';
      if (joined.trim()) logical.push(joined.trim());
    }
  }
  let stage = '(global)';
  return logical.map((line) => {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    return { stage, op: op.toUpperCase(), args };
  });
};

// Kubernetes and Compose shapes, only as far as these checks read them.
interface Meta {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef };
}
interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort?: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean };
  volumeMounts?: { name?: string; mountPath?: string }[];
}
interface PodTemplate {
  metadata?: Meta;
  spec?: {
    containers?: Container[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
    volumes?: { name?: string }[];
  };
}
interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string | number | null>;
  depends_on?: Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] };
}

const dockerfile = parseDockerfile(readText('deploy/Dockerfile'));
const stages = [...new Set(dockerfile.map((i) => i.stage))].filter((s) => s !== '(global)');
const inStage = (stage: string, op: string): Instruction[] => dockerfile.filter((i) => i.stage === stage && i.op === op);
const last = <T>(items: T[]): T | undefined => items[items.length - 1];

const compose = parseYaml(join(deploy, 'compose.yaml'))[0] as { services: Record<string, ComposeService> };
const composeServices = Object.entries(compose.services);

const k8sDir = join(deploy, 'k8s');
const k8sObjects: { file: string; object: K8sObject }[] = yamlFiles(k8sDir)
  .filter((path) => !/(kustomization|nats-values)\.yaml$/.test(path))
  .flatMap((path) => parseYaml(path).map((object) => ({ file: rel(path), object: object as K8sObject })));
const k8sOf = (kind: string): { file: string; object: K8sObject }[] => k8sObjects.filter((o) => o.object.kind === kind);
const named = (kind: string, name: string) => k8sOf(kind).find((o) => o.object.metadata?.name === name);
const natsValues = parseYaml(join(k8sDir, 'nats-values.yaml'))[0] as {
  config?: {
    cluster?: { enabled?: boolean; replicas?: number };
    jetstream?: { enabled?: boolean; fileStore?: { enabled?: boolean; pvc?: { enabled?: boolean; size?: string } } };
  };
};

const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

const podSpec = (o: K8sObject): PodTemplate['spec'] => (o.spec?.template as PodTemplate | undefined)?.spec;
/** `${name}` as written in the Dockerfile. */
const ref = (name: string): string => `\${${name}}`;

const natsUrls = (value: unknown): URL[] =>
  String(value ?? '')
    .split(',')
    .filter(Boolean)
    .map((u) => new URL(u.trim()));

// ---- the code's own answers: which probe paths it serves, what turbo prune lays out ----------------

/** Every process registers the service kit (the gateway through its own app): both answer here. */
let gateway: FastifyInstance;
let kitOnly: FastifyInstance;
const dataDir = mkdtempSync(join(tmpdir(), 'parley-manifests-'));
const pruned = mkdtempSync(join(tmpdir(), 'parley-prune-'));
const run = promisify(execFile);

beforeAll(async () => {
  const logger = createLogger({ service: 'manifests-test', level: 'silent' });
  gateway = Fastify(fastifyOptions(logger));
  await gateway.register(gatewayApp, { config: loadGatewayConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }) });
  await gateway.ready();
  kitOnly = Fastify(fastifyOptions(logger));
  await kitOnly.register(serviceKit, {
    name: 'audit-log',
    config: { DATA_DIR: dataDir, BUS_NAMESPACE: 'parley', NATS_STREAM_REPLICAS: 1 },
  });
  await kitOnly.ready();
  // What the Dockerfile's prune stage produces for each package it builds, made by the same turbo.
  for (const pkg of [...services, 'stack']) {
    await run(
      join(root, 'node_modules/.bin/turbo'),
      ['prune', `@parley/${pkg}`, '--docker', '--production', '--out-dir', join(pruned, pkg)],
      {
        cwd: root,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      },
    );
  }
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await kitOnly?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pruned, { recursive: true, force: true });
});

const servedBy = async (app: FastifyInstance, path: string): Promise<boolean> =>
  (await app.inject({ method: 'GET', url: path })).statusCode !== 404;
const answers = new Map<string, Promise<boolean>>();
/** A probe path is right when the gateway and a service (the kit every service registers) both answer it. */
const served = (path: string): Promise<boolean> => {
  if (!answers.has(path))
    answers.set(
      path,
      Promise.all([servedBy(gateway, path), servedBy(kitOnly, path)]).then((r) => r.every(Boolean)),
    );
  return answers.get(path)!;
};

// ---- deploy/ as a whole --------------------------------------------------------------------------

describe('deploy/', () => {
  it('holds only YAML that parses, and Compose, Kubernetes and the Dockerfile all cover every service', () => {
    expect(yamlFiles(deploy).length).toBeGreaterThan(5);
    for (const path of yamlFiles(deploy)) expect(() => parseYaml(path), rel(path)).not.toThrow();
    const problems: string[] = [];
    for (const service of services) {
      const pkg = readJson<{ name?: string }>(`services/${service}/package.json`);
      if (pkg.name !== `@parley/${service}`) problems.push(`services/${service}/package.json is not @parley/${service}`);
      if (!composeServices.some(([, s]) => s.build?.args?.SERVICE === service))
        problems.push(`deploy/compose.yaml: no ${service}`);
      if (!named('Deployment', service)) problems.push(`deploy/k8s: no Deployment ${service}`);
    }
    expect(problems).toEqual([]);
  });
});

// ---- deploy/Dockerfile ---------------------------------------------------------------------------

describe('deploy/Dockerfile', () => {
  it('prunes the workspace to the chosen package with turbo, installs the pinned pnpm and the lockfile as is', () => {
    const problems: string[] = [];
    const lock = parse(readText('pnpm-lock.yaml')) as {
      importers: Record<string, { devDependencies?: Record<string, { version: string }> }>;
    };
    const turbo = lock.importers['.']?.devDependencies?.turbo?.version;
    const prune = inStage('prune', 'RUN').find((i) => i.args.includes(' prune '));
    if (!prune?.args.includes(`turbo@${turbo} prune "@parley/\${SERVICE}" --docker`)) {
      problems.push(
        `deploy/Dockerfile: the prune stage must run turbo@${turbo} (the lockfile's) prune "@parley/\${SERVICE}" --docker`,
      );
    }
    const pnpm = readJson<{ packageManager: string }>('package.json').packageManager;
    if (!inStage('base', 'RUN').some((i) => i.args.includes(`corepack prepare ${pnpm} `))) {
      problems.push(`deploy/Dockerfile: corepack must prepare ${pnpm}, package.json's packageManager`);
    }
    for (const [stage, flags] of [
      ['prod-deps', '--frozen-lockfile --prod'],
      ['build', '--frozen-lockfile'],
    ] as const) {
      if (!inStage(stage, 'RUN').some((i) => i.args.includes(`pnpm install ${flags}`))) {
        problems.push(`deploy/Dockerfile: stage ${stage} must run pnpm install ${flags}`);
      }
    }
    if (!inStage('build', 'RUN').some((i) => i.args.includes(`turbo run build --filter="@parley/${ref('SERVICE')}"`))) {
      problems.push(`deploy/Dockerfile: the build stage must run turbo run build for @parley/${ref('SERVICE')}`);
    }
    if (last(stages) !== 'runtime')
      problems.push(`deploy/Dockerfile: the last stage (the default target) is ${last(stages)}, not runtime`);
    for (const copy of dockerfile.filter((i) => i.op === 'COPY')) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      if (from && stages.indexOf(from) < 0) problems.push(`deploy/Dockerfile: COPY --from=${from} names no stage`);
      if (from && stages.indexOf(from) >= stages.indexOf(copy.stage))
        problems.push(`deploy/Dockerfile: ${copy.stage} copies from later ${from}`);
      if (!from && copy.args !== '. .') problems.push(`deploy/Dockerfile: ${copy.stage} copies ${copy.args} from the context`);
    }
    expect(problems).toEqual([]);
  });

  it('copies paths that exist in the pruned workspace of every service and of the migration image', () => {
    const problems: string[] = [];
    const copied = dockerfile
      .filter((i) => i.op === 'COPY' && i.args.startsWith('--from=prune '))
      .map((i) => i.args.split(/\s+/)[1]!.replace('/app/out/', ''));
    expect(copied.sort()).toEqual(['full/', 'json/', 'json/']);
    for (const pkg of [...services, 'stack']) {
      const out = join(pruned, pkg);
      const dir = pkg === 'stack' ? 'packages/stack' : `services/${pkg}`;
      for (const path of [
        'json/package.json',
        'json/pnpm-lock.yaml',
        'json/pnpm-workspace.yaml',
        `json/${dir}/package.json`,
        `full/${dir}/src`,
      ]) {
        if (!existsSync(join(out, path)))
          problems.push(`turbo prune @parley/${pkg}: no out/${path}, which deploy/Dockerfile copies or builds`);
      }
      for (const service of ServiceNames.filter((s) => pkg === 'stack' || pkg === s)) {
        if (!existsSync(join(out, `full/services/${service}/drizzle/meta/_journal.json`))) {
          problems.push(
            `turbo prune @parley/${pkg}: services/${service}/drizzle is missing, and the image must carry its migrations`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('starts each service from the dist/server.js its build writes, and the migration image from dist/migrate.js', () => {
    const problems: string[] = [];
    const workdir = last(inStage('runtime', 'WORKDIR'))?.args;
    const cmd = last(inStage('runtime', 'CMD'))?.args;
    if (workdir !== `/app/services/${ref('SERVICE')}`) problems.push(`deploy/Dockerfile: runtime WORKDIR is ${workdir}`);
    if (cmd !== '["node", "dist/server.js"]') problems.push(`deploy/Dockerfile: runtime CMD is ${cmd}`);
    const entries = (dir: string): string[] =>
      readJson<{ scripts: { build: string } }>(`${dir}/package.json`)
        .scripts.build.split(/\s+/)
        .filter((w) => w.startsWith('src/'));
    for (const service of services) {
      if (!entries(`services/${service}`).includes('src/server.ts'))
        problems.push(`services/${service}: its build does not write dist/server.js`);
    }
    // model/pool.ts loads worker.js from beside the bundle.
    if (!entries('services/face-match').includes('src/worker.ts'))
      problems.push('services/face-match: its build does not write dist/worker.js');
    if (last(inStage('migrate', 'WORKDIR'))?.args !== '/app/packages/stack')
      problems.push('deploy/Dockerfile: migrate WORKDIR is not packages/stack');
    if (last(inStage('migrate', 'CMD'))?.args !== '["node", "dist/migrate.js"]')
      problems.push('deploy/Dockerfile: migrate CMD is not dist/migrate.js');
    if (!existsSync(join(root, 'packages/stack/src/migrate.ts'))) problems.push('packages/stack/src/migrate.ts is missing');
    if (!entries('packages/stack').includes('src/migrate.ts')) {
      problems.push(
        'packages/stack/package.json: its build script does not list src/migrate.ts, so dist/migrate.js is never written',
      );
    }
    expect(problems).toEqual([]);
  });

  it('runs as a non-root user, exposes and health-checks PORT on a path the code serves, sets only variables every service reads', async () => {
    const problems: string[] = [];
    for (const stage of ['runtime', 'migrate']) {
      const user = last(inStage(stage, 'USER'))?.args ?? 'root';
      if (/^(root|0)(:|$)/.test(user) || !/^(node|[1-9]\d*)(:\d+)?$/.test(user))
        problems.push(`deploy/Dockerfile: ${stage} runs as ${user}`);
      for (const env of inStage(stage, 'ENV')) {
        for (const [, key] of env.args.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=/g)) {
          if (!commonKeys.includes(key!)) problems.push(`deploy/Dockerfile: ${stage} sets ${key}, which not every service reads`);
        }
      }
    }
    if (!inStage('runtime', 'ENV').some((i) => i.args.includes(`PORT=${ref('PORT')}`)))
      problems.push('deploy/Dockerfile: runtime does not set PORT');
    if (last(inStage('runtime', 'EXPOSE'))?.args !== ref('PORT'))
      problems.push(`deploy/Dockerfile: runtime does not EXPOSE ${ref('PORT')}`);
    const healthcheck = last(inStage('runtime', 'HEALTHCHECK'))?.args ?? '';
    const path = /\+\s*'(\/[\w/-]+)'/.exec(healthcheck)?.[1];
    if (!healthcheck.includes('process.env.PORT')) problems.push('deploy/Dockerfile: HEALTHCHECK does not use PORT');
    if (!path || !(await served(path)))
      problems.push(`deploy/Dockerfile: HEALTHCHECK asks ${path}, which the services do not serve`);
    expect(problems).toEqual([]);
  });

  it('ships what face-match loads at run time: the tfjs WASM binaries and face-api weights are production dependencies', () => {
    const pkg = readJson<{ dependencies: Record<string, string> }>('services/face-match/package.json');
    expect(Object.keys(pkg.dependencies)).toEqual(
      expect.arrayContaining(['@tensorflow/tfjs-backend-wasm', '@vladmandic/face-api']),
    );
    const require = createRequire(join(root, 'services/face-match/package.json'));
    const wasmDir = join(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '../dist');
    expect(readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))).toContain('tfjs-backend-wasm-simd.wasm');
    const models = join(require.resolve('@vladmandic/face-api/package.json'), '../model');
    expect(readdirSync(models).some((f) => f.endsWith('.bin'))).toBe(true);
  });

  it('is fed a context without local installs, builds or data (.dockerignore)', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', '**/dist', '**/.turbo', 'data']));
  });
});

// ---- deploy/compose.yaml -------------------------------------------------------------------------

describe('deploy/compose.yaml', () => {
  const file = 'deploy/compose.yaml';
  const built = composeServices.filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');
  const parley = built.filter(([, s]) => s.build?.target !== 'migrate');
  const natsNodes = composeServices.filter(([, s]) => s.image?.startsWith('nats:'));

  it('runs two copies of every service, each built from the one Dockerfile for its own port', () => {
    const problems: string[] = [];
    for (const [name, s] of built) {
      if (s.build?.context !== '..') problems.push(`${file}: ${name} builds from ${s.build?.context}, not the repo root`);
    }
    for (const [name, s] of parley) {
      const service = s.build?.args?.SERVICE;
      if (!isService(service) || !existsSync(join(root, 'services', service))) {
        problems.push(`${file}: ${name} builds SERVICE=${service}, no folder under services/`);
        continue;
      }
      if (Number(s.build?.args?.PORT) !== DefaultPorts[service]) {
        problems.push(`${file}: ${name} builds PORT=${s.build?.args?.PORT}, ${service}'s port is ${DefaultPorts[service]}`);
      }
      if (s.deploy?.replicas !== 2) problems.push(`${file}: ${name} runs ${s.deploy?.replicas ?? 1} copies, not 2`);
    }
    expect(parley.map(([, s]) => s.build?.args?.SERVICE).sort()).toEqual([...services].sort());
    expect(problems).toEqual([]);
  });

  it("gives each service only variables its config reads, and the migration only the migration's", () => {
    const problems: string[] = [];
    for (const [name, s] of built) {
      const service = s.build?.args?.SERVICE;
      const keys = s.build?.target === 'migrate' ? migrateKeys : isService(service) ? schemaKeys[service] : new Set<string>();
      for (const key of Object.keys(s.environment ?? {})) {
        if (!keys.has(key))
          problems.push(
            `${file}: ${name} sets ${key}, which ${s.build?.target === 'migrate' ? 'migrate.ts' : service} does not read`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('clusters three NATS nodes with JetStream on volumes, routed to each other, and every process lists all three', () => {
    const problems: string[] = [];
    expect(natsNodes.map(([name]) => name)).toHaveLength(3);
    // `--name=value` gives value, a bare `--name` gives '', an absent flag undefined.
    const flag = (s: ComposeService, name: string): string | undefined => {
      const arg = s.command?.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
      return arg === undefined ? undefined : arg.slice(name.length + 3);
    };
    const clusterNames = new Set(natsNodes.map(([, s]) => flag(s, 'cluster_name')));
    if (clusterNames.size !== 1 || clusterNames.has(undefined))
      problems.push(`${file}: the NATS nodes do not share one --cluster_name`);
    for (const [name, s] of natsNodes) {
      if (flag(s, 'jetstream') === undefined) problems.push(`${file}: ${name} runs without --jetstream`);
      const store = flag(s, 'store_dir');
      if (!store || !s.volumes?.some((v) => v.split(':')[1] === store))
        problems.push(`${file}: ${name} keeps its store (${store}) on no volume`);
      if (!s.healthcheck?.test) problems.push(`${file}: ${name} has no healthcheck`);
      const routes = natsUrls(flag(s, 'routes')).map((u) => `${u.hostname}:${u.port}`);
      for (const [other, o] of natsNodes.filter(([n]) => n !== name)) {
        const port = new URL(flag(o, 'cluster') ?? 'nats://x:0').port;
        if (!routes.includes(`${other}:${port}`)) problems.push(`${file}: ${name} has no route to ${other}:${port}`);
      }
    }
    for (const [name, s] of parley) {
      const env = s.environment ?? {};
      const hosts = natsUrls(env.NATS_URL).map((u) => u.hostname);
      if (natsNodes.some(([node]) => !hosts.includes(node)))
        problems.push(`${file}: ${name}'s NATS_URL (${env.NATS_URL}) misses a node`);
      if (String(env.NATS_STREAM_REPLICAS) !== '3')
        problems.push(`${file}: ${name} has NATS_STREAM_REPLICAS=${env.NATS_STREAM_REPLICAS}`);
      const db = env.DATABASE_URL ? new URL(String(env.DATABASE_URL).replace(/\$\{[^}]*\}/g, 'x')).hostname : undefined;
      if (db && !compose.services[db]?.image?.startsWith('postgres:15'))
        problems.push(`${file}: ${name}'s DATABASE_URL names ${db}`);
    }
    expect(problems).toEqual([]);
  });

  it('publishes the API on one port: a proxy that balances over the gateway replicas on the gateway port', () => {
    const problems: string[] = [];
    for (const [name, s] of composeServices.filter(([, s]) => s.ports?.length)) {
      if (!['proxy', 'mailpit'].includes(name)) problems.push(`${file}: ${name} publishes ${s.ports}`);
    }
    const proxy = compose.services.proxy;
    const mount = proxy?.volumes?.find((v) => v.includes('nginx'))?.split(':')[0] ?? '';
    const conf = existsSync(join(deploy, mount)) ? readFileSync(join(deploy, mount), 'utf8') : '';
    const upstreams = [...conf.matchAll(/^\s*server\s+([\w-]+):(\d+)/gm)].map(([, host, port]) => `${host}:${port}`);
    expect(upstreams, `deploy/${mount}`).toEqual([`gateway:${DefaultPorts.gateway}`]);
    if (!conf.includes('proxy_set_header Upgrade')) problems.push(`deploy/${mount}: WebSocket upgrades are not passed on`);
    const listen = /^\s*listen\s+(\d+)/m.exec(conf)?.[1];
    if (!proxy?.ports?.some((p) => p.endsWith(`:${listen}`)))
      problems.push(`${file}: proxy publishes ${proxy?.ports}, nginx listens on ${listen}`);
    expect(problems).toEqual([]);
  });

  it('starts the services after NATS, Postgres and a one-shot migration that exist', () => {
    const problems: string[] = [];
    const migrate = built.filter(([, s]) => s.build?.target === 'migrate');
    expect(migrate.map(([, s]) => s.build?.args?.SERVICE)).toEqual(['stack']);
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, s] of composeServices) {
      for (const [dep, { condition } = {}] of Object.entries(s.depends_on ?? {})) {
        if (!compose.services[dep]) problems.push(`${file}: ${name} depends on ${dep}, which is not defined`);
        if (!condition || !conditions.includes(condition)) problems.push(`${file}: ${name} waits for ${dep} on ${condition}`);
      }
    }
    for (const [name, s] of parley.filter(([, s]) => s.environment?.DATABASE_URL)) {
      if (s.depends_on?.[migrate[0]![0]]?.condition !== 'service_completed_successfully') {
        problems.push(`${file}: ${name} does not wait for the migration to succeed`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---- deploy/k8s ----------------------------------------------------------------------------------

describe('deploy/k8s', () => {
  const deployment = (service: Service) => named('Deployment', service);
  const template = (service: Service): PodTemplate => (deployment(service)?.object.spec?.template ?? {}) as PodTemplate;
  const container = (service: Service): Container => template(service).spec?.containers?.[0] ?? {};
  const matchLabels = (o: K8sObject | undefined) =>
    (o?.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;

  it('lists every manifest in kustomization.yaml, and nothing that is not there', () => {
    const kustomization = parseYaml(join(k8sDir, 'kustomization.yaml'))[0] as {
      resources: string[];
      images?: { name: string }[];
    };
    const manifests = readdirSync(k8sDir).filter(
      (f) => f.endsWith('.yaml') && !['kustomization.yaml', 'nats-values.yaml'].includes(f),
    );
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
    const images = k8sObjects.flatMap(({ object }) =>
      ((object.spec?.template as PodTemplate | undefined)?.spec?.containers ?? []).map((c) => c.image?.split(':')[0]),
    );
    expect((kustomization.images ?? []).map((i) => i.name).sort()).toEqual([...new Set(images)].sort());
  });

  it('has a Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget for every service, all on the same pods', () => {
    const problems: string[] = [];
    for (const service of services) {
      const dep = deployment(service);
      const svc = named('Service', service);
      const hpa = named('HorizontalPodAutoscaler', service);
      const pdb = named('PodDisruptionBudget', service);
      if (!dep || !svc || !hpa || !pdb) {
        problems.push(
          `deploy/k8s: ${service} lacks ${[!dep && 'Deployment', !svc && 'Service', !hpa && 'HPA', !pdb && 'PDB'].filter(Boolean)}`,
        );
        continue;
      }
      const podLabels = template(service).metadata?.labels;
      const where = `${dep.file}: ${service}`;
      if (dep.object.apiVersion !== 'apps/v1' || dep.object.spec?.replicas !== 2)
        problems.push(`${where}: not an apps/v1 Deployment of 2 replicas`);
      if (!selects(matchLabels(dep.object), podLabels))
        problems.push(`${where}: the Deployment's selector does not match its pods`);
      if (!selects(svc.object.spec?.selector as Record<string, string>, podLabels))
        problems.push(`${svc.file}: Service ${service} selects other pods`);
      if (!sameLabels(matchLabels(pdb.object), matchLabels(dep.object)))
        problems.push(`${pdb.file}: PDB ${service} selects other pods`);
      if (pdb.object.apiVersion !== 'policy/v1' || pdb.object.spec?.minAvailable !== 1)
        problems.push(`${pdb.file}: PDB ${service} is not policy/v1 minAvailable 1`);
      const target = hpa.object.spec?.scaleTargetRef as { kind?: string; name?: string } | undefined;
      if (hpa.object.apiVersion !== 'autoscaling/v2' || target?.kind !== 'Deployment' || target.name !== service) {
        problems.push(`${hpa.file}: HPA ${service} does not scale Deployment ${service} (autoscaling/v2)`);
      }
      const metrics = (hpa.object.spec?.metrics ?? []) as { resource?: { name?: string } }[];
      if (!metrics.some((m) => m.resource?.name === 'cpu')) problems.push(`${hpa.file}: HPA ${service} does not scale on CPU`);
      if (!container(service).resources?.requests?.cpu)
        problems.push(`${where}: no CPU request, which the HPA's utilisation is measured against`);
      if (Number(hpa.object.spec?.minReplicas) < 2) problems.push(`${hpa.file}: HPA ${service} may scale below 2`);
    }
    expect(problems).toEqual([]);
  });

  it("runs each container from its service's image on its service's port, with probes the code serves", async () => {
    const problems: string[] = [];
    for (const service of services) {
      const c = container(service);
      const where = `${deployment(service)?.file}: ${service}`;
      const port = DefaultPorts[service];
      if (c.image?.split(':')[0] !== `parley/${service}`) problems.push(`${where}: runs image ${c.image}`);
      const http = c.ports?.find((p) => p.name === 'http');
      if (http?.containerPort !== port)
        problems.push(`${where}: containerPort ${http?.containerPort}, ${service}'s port is ${port}`);
      const env = c.env?.find((e) => e.name === 'PORT')?.value;
      if (Number(env) !== port) problems.push(`${where}: PORT=${env}, not ${port}`);
      const svc = named('Service', service);
      for (const p of (svc?.object.spec?.ports ?? []) as { port?: number; targetPort?: string | number }[]) {
        if (p.port !== port || (p.targetPort !== 'http' && p.targetPort !== port)) {
          problems.push(`${svc?.file}: Service ${service} maps ${p.port} → ${p.targetPort}, not ${port} → the container's`);
        }
      }
      const probes = { readinessProbe: '/readyz', livenessProbe: '/healthz', startupProbe: undefined } as const;
      for (const [kind, expected] of Object.entries(probes)) {
        const get = c[kind as keyof typeof probes]?.httpGet;
        if (!get) {
          if (expected) problems.push(`${where}: no ${kind}`);
          continue;
        }
        if (expected && get.path !== expected) problems.push(`${where}: ${kind} on ${get.path}, not ${expected}`);
        if (!get.path || !(await served(get.path)))
          problems.push(`${where}: ${kind} asks ${get.path}, which the code does not serve`);
        if (get.port !== 'http' && get.port !== port) problems.push(`${where}: ${kind} on port ${get.port}`);
      }
      const annotations = template(service).metadata?.annotations ?? {};
      const metricsPath = annotations['prometheus.io/path'];
      if (metricsPath && !(await served(metricsPath)))
        problems.push(`${where}: scrapes ${metricsPath}, which the code does not serve`);
      if (annotations['prometheus.io/port'] && Number(annotations['prometheus.io/port']) !== port)
        problems.push(`${where}: scrapes another port`);
    }
    const ingress = k8sOf('Ingress').flatMap(({ file, object }) =>
      (
        (object.spec?.rules ?? []) as {
          http?: { paths?: { backend?: { service?: { name?: string; port?: { number?: number } } } }[] };
        }[]
      )
        .flatMap((r) => r.http?.paths ?? [])
        .map((p) => ({ file, backend: p.backend?.service })),
    );
    for (const { file, backend } of ingress) {
      if (backend?.name !== 'gateway' || backend.port?.number !== DefaultPorts.gateway)
        problems.push(`${file}: routes to ${backend?.name}:${backend?.port?.number}`);
    }
    expect(ingress.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('names only variables the config schemas read, from ConfigMaps and Secrets that have them', () => {
    const problems: string[] = [];
    const configMaps = new Map(k8sOf('ConfigMap').map(({ object }) => [object.metadata?.name, object.data ?? {}]));
    const secrets = new Map(
      k8sOf('Secret').map(({ object }) => [object.metadata?.name, { ...object.data, ...object.stringData }]),
    );
    const workloads = k8sObjects.filter(({ object }) => ['Deployment', 'Job'].includes(object.kind ?? ''));
    for (const { file, object } of workloads) {
      const name = object.metadata?.name ?? '?';
      const keys = object.kind === 'Job' ? migrateKeys : isService(name) ? schemaKeys[name] : new Set<string>();
      for (const c of podSpec(object)?.containers ?? []) {
        for (const e of c.env ?? []) {
          if (!keys.has(e.name)) problems.push(`${file}: ${name} sets ${e.name}, which its config does not read`);
          const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
          const source = e.valueFrom?.configMapKeyRef ? configMaps.get(ref?.name) : secrets.get(ref?.name);
          if (ref && !ref.optional && !(source && ref.key && ref.key in source))
            problems.push(`${file}: ${name}'s ${e.name} reads ${ref.name}/${ref.key}, which does not exist`);
        }
        for (const from of c.envFrom ?? []) {
          const ref = from.configMapRef?.name ?? from.secretRef?.name ?? '?';
          if (!configMaps.has(ref) && !secrets.has(ref)) problems.push(`${file}: ${name} loads ${ref}, which does not exist`);
          for (const key of Object.keys(configMaps.get(ref) ?? secrets.get(ref) ?? {})) {
            if (!keys.has(key)) problems.push(`${file}: ${name} loads ${ref}, whose ${key} its config does not read`);
          }
        }
      }
    }
    const referenced = JSON.stringify(workloads.map((w) => w.object));
    for (const name of [...configMaps.keys(), ...secrets.keys()]) {
      if (!referenced.includes(`"name":"${name}"`)) problems.push(`deploy/k8s: ${name} is used by no workload`);
    }
    for (const [name, data] of [...configMaps, ...secrets]) {
      for (const key of Object.keys(data)) {
        if (!services.some((s) => schemaKeys[s].has(key)))
          problems.push(`deploy/k8s: ${name} holds ${key}, which no service reads`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('holds only placeholder secrets', () => {
    const values = k8sOf('Secret').flatMap(({ file, object }) =>
      Object.entries({ ...object.stringData }).map(([k, v]) => ({ file, k, v })),
    );
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter(({ v }) => !v.includes('CHANGE-ME')).map(({ file, k }) => `${file}: ${k}`)).toEqual([]);
    expect(
      k8sOf('Secret')
        .filter(({ object }) => object.data)
        .map(({ file }) => `${file}: base64 data`),
    ).toEqual([]);
  });

  it('runs every pod as a non-root user on a read-only root, with DATA_DIR and /tmp writable', () => {
    const problems: string[] = [];
    const dataDirs = dockerfile
      .filter((i) => i.op === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/DATA_DIR=(\S+)/g)].map((m) => m[1]));
    expect(new Set(dataDirs).size).toBe(1);
    for (const { file, object } of k8sObjects.filter(({ object }) => ['Deployment', 'Job'].includes(object.kind ?? ''))) {
      const pod = podSpec(object);
      const where = `${file}: ${object.metadata?.name}`;
      if (pod?.securityContext?.runAsNonRoot !== true || !pod.securityContext.runAsUser)
        problems.push(`${where}: may run as root`);
      for (const c of pod?.containers ?? []) {
        if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: ${c.name} may escalate privileges`);
        if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${where}: ${c.name} may write its image`);
        const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath);
        const needs = object.kind === 'Job' ? ['/tmp'] : [dataDirs[0], '/tmp'];
        for (const path of needs) if (!mounts.includes(path)) problems.push(`${where}: ${c.name} cannot write ${path}`);
        for (const m of c.volumeMounts ?? []) {
          if (!pod?.volumes?.some((v) => v.name === m.name))
            problems.push(`${where}: mounts volume ${m.name}, which the pod lacks`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs the migration Job from the migrate image with DATABASE_URL from the Secret', () => {
    const jobs = k8sOf('Job');
    expect(jobs.map(({ object }) => object.metadata?.name)).toEqual(['parley-migrate']);
    const c = podSpec(jobs[0]!.object)?.containers?.[0];
    expect(c?.image?.split(':')[0]).toBe('parley/migrate');
    // No command: the image's own CMD (node dist/migrate.js).
    expect(c?.command ?? c?.args).toBeUndefined();
    expect(c?.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toMatchObject({ key: 'DATABASE_URL' });
    expect(jobs[0]!.object.apiVersion).toBe('batch/v1');
  });

  it("clusters NATS from the Helm chart's values (3 servers, JetStream on volumes) and names each server in NATS_URL", () => {
    const file = 'deploy/k8s/nats-values.yaml';
    const cluster = natsValues.config?.cluster;
    const jetstream = natsValues.config?.jetstream;
    expect(cluster, file).toEqual(expect.objectContaining({ enabled: true, replicas: 3 }));
    expect(jetstream?.enabled, `${file}: config.jetstream.enabled`).toBe(true);
    expect(jetstream?.fileStore?.enabled, `${file}: config.jetstream.fileStore.enabled`).not.toBe(false);
    expect(jetstream?.fileStore?.pvc?.enabled, `${file}: config.jetstream.fileStore.pvc.enabled`).not.toBe(false);
    expect(jetstream?.fileStore?.pvc?.size, `${file}: config.jetstream.fileStore.pvc.size`).toMatch(/^\d+[GMT]i$/);
    const bus = named('ConfigMap', 'parley-bus')?.object.data ?? {};
    const servers = Array.from({ length: cluster?.replicas ?? 0 }, (_, i) => `nats-${i}.nats-headless:4222`);
    expect(
      natsUrls(bus.NATS_URL).map((u) => `${u.hostname}:${u.port}`),
      'parley-bus NATS_URL',
    ).toEqual(servers);
    expect(bus.NATS_STREAM_REPLICAS, 'parley-bus NATS_STREAM_REPLICAS').toBe(String(cluster?.replicas));
  });
});
