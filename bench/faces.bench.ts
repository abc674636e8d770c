import { availableParallelism } from 'node:os';
import { insertSyntheticLibrary, timeServiceIndex } from './lib/face-library.ts';
import { loadModelLimit, type ModelLimit, ModelTimes } from './lib/face-limit.ts';
import { crops, groups, mean, type Photo, percentile } from './lib/face-photos.ts';
import { FaceClient, inParallel } from './lib/face-requests.ts';
import { DIMENSIONS, nearest, syntheticDescriptors } from './lib/face-scan.ts';
import { startFaceStack } from './lib/face-stack.ts';
import { probeNats } from './lib/nats.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

const DEFAULT_NATS = 'nats://127.0.0.1:4222';
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
/** Inference workers in face-match: its default, one per core. */
const WORKERS = Math.max(1, availableParallelism());
/** Requests in flight for the saturation run: every worker busy and as many waiting. */
const IN_FLIGHT = 2 * WORKERS;
const SATURATION_REQUESTS = 8 * IN_FLIGHT;
const LARGE_LIBRARY = 100_000;
/** Each real crop descriptor is the query this many times over in the scans. */
const SCAN_ROUNDS = 2;
/** Searches of one crop against the small and the large library, alternating. */
const REPEATS = 15;
const N = LARGE_LIBRARY.toLocaleString('en-US');

const LIMIT = 'model only (same module, same backend), 1 thread: crops';
const CASES = {
  modelGroups: 'model only: group photos',
  enrol: 'enrol through gateway: 1 crop per request',
  search: 'search through gateway: crops',
  searchGroups: 'search through gateway: group photos',
  saturated: `search through gateway: ${IN_FLIGHT} in flight (${WORKERS} workers busy)`,
  scan: `full scan of ${N} × ${DIMENSIONS} (plain JS Float32Array, limit of the next)`,
  indexScan: `face-match index alone: nearest over ${N}`,
  indexLoad: `face-match index alone: load ${N} from Postgres`,
  small: 'search through gateway: 1 crop, 24 stored descriptors',
  large: `search through gateway: same crop, ${N} stored descriptors`,
} as const;
const GATEWAY_CASES = [
  CASES.enrol,
  CASES.search,
  CASES.searchGroups,
  CASES.saturated,
  CASES.indexScan,
  CASES.indexLoad,
  CASES.small,
  CASES.large,
];

const latency = (ms: ArrayLike<number>): Record<string, number> => ({ p50: percentile(ms, 50), p95: percentile(ms, 95) });
const ratio = (ms: ArrayLike<number>, limit: ArrayLike<number>): number => percentile(ms, 50) / percentile(limit, 50);

/** `rounds` × the real descriptors, one block: the queries of both scans. */
function queryBlock(descriptors: Float32Array[], rounds: number): Float32Array {
  const out = new Float32Array(descriptors.length * rounds * DIMENSIONS);
  for (let i = 0; i < descriptors.length * rounds; i++) {
    out.set(descriptors[i % descriptors.length] as Float32Array, i * DIMENSIONS);
  }
  return out;
}

/** The reference of a 100k search: every stored descriptor compared in full, one query at a time, after a warm-up. */
function scanLimit(library: Float32Array, queries: Float32Array): number[] {
  const count = queries.length / DIMENSIONS;
  const times: number[] = [];
  for (let i = -3; i < count; i++) {
    const at = Math.max(0, i) * DIMENSIONS;
    const started = performance.now();
    nearest(library, queries.subarray(at, at + DIMENSIONS));
    if (i >= 0) times.push(performance.now() - started);
  }
  return times;
}

interface Fixtures {
  enrol: Photo[];
  search: Photo[];
  groups: Photo[];
}

interface Measured {
  limit: { crops: ModelTimes; groups: ModelTimes };
  scanMs: number[];
  rows: BenchRow[];
  notes: Record<string, string>;
}

/** The model alone on every photo, with no services: what runs when NATS is not there. */
async function modelOnly(model: ModelLimit, photos: Fixtures): Promise<Measured> {
  const limit = { crops: new ModelTimes(), groups: new ModelTimes() };
  for (const photo of [...photos.enrol, ...photos.search]) limit.crops.add(await model.run(photo));
  for (const photo of [...photos.groups, ...photos.groups]) limit.groups.add(await model.run(photo));
  const descriptors = limit.crops.runs.flatMap((r) => (r.descriptor ? [r.descriptor] : []));
  const scanMs = scanLimit(syntheticDescriptors(LARGE_LIBRARY), queryBlock(descriptors, SCAN_ROUNDS));
  return { limit, scanMs, rows: [], notes: {} };
}

/**
 * Every photo goes to the model alone and then through the gateway, one after the other: both see
 * the same background load on the shared cores, so their ratio holds even when the load moves.
 */
async function throughGateway(nats: string, postgres: string, model: ModelLimit, photos: Fixtures): Promise<Measured> {
  console.log(`auth, chat-notify, face-match (${WORKERS} workers) and gateway as processes over NATS + Postgres…`);
  const stack = await startFaceStack({ nats, postgres, workers: WORKERS });
  try {
    const owner = await stack.user();
    const client = new FaceClient(stack.gateway.url, owner.token);
    const ids = new Map<string, string>();
    for (const photo of photos.enrol) {
      if (!ids.has(photo.person)) ids.set(photo.person, (await client.createIdentity(photo.person)).id);
    }
    // Warm-up: the first request through each process compiles its paths.
    await client.search(photos.search[0] as Photo);
    const limit = { crops: new ModelTimes(), groups: new ModelTimes() };

    console.log(`enrol ${photos.enrol.length} crops, one per request, each also through the model alone…`);
    const enrolMs: number[] = [];
    for (const photo of photos.enrol) {
      limit.crops.add(await model.run(photo));
      enrolMs.push(await client.enrol(ids.get(photo.person) as string, photo));
    }

    console.log(`search ${photos.search.length} crops and ${photos.groups.length} group photos ×2, one at a time…`);
    const searchMs: number[] = [];
    let right = 0;
    for (const photo of photos.search) {
      limit.crops.add(await model.run(photo));
      const { ms, reply } = await client.search(photo);
      searchMs.push(ms);
      if (reply.faces[0]?.match?.identityId === ids.get(photo.person)) right++;
    }
    const groupMs: number[] = [];
    const groupFaces: number[] = [];
    for (const photo of [...photos.groups, ...photos.groups]) {
      limit.groups.add(await model.run(photo));
      const { ms, reply } = await client.search(photo);
      groupMs.push(ms);
      if (groupFaces.length < photos.groups.length) groupFaces.push(reply.faces.length);
    }

    console.log(`${SATURATION_REQUESTS} searches, ${IN_FLIGHT} in flight…`);
    const started = performance.now();
    const saturatedMs = await inParallel(SATURATION_REQUESTS, IN_FLIGHT, async (i) => {
      const { ms } = await client.search(photos.search[i % photos.search.length] as Photo);
      return ms;
    });
    const photosPerSec = SATURATION_REQUESTS / ((performance.now() - started) / 1000);

    console.log(`full scan of ${N} descriptors; ${N} synthetic descriptors for a second user, straight into Postgres…`);
    const descriptors = limit.crops.runs.flatMap((r) => (r.descriptor ? [r.descriptor] : []));
    const library = syntheticDescriptors(LARGE_LIBRARY);
    const queries = queryBlock(descriptors, SCAN_ROUNDS);
    const scanMs = scanLimit(library, queries);
    const bulkOwner = await stack.user();
    const bulk = new FaceClient(stack.gateway.url, bulkOwner.token);
    const crowd = await bulk.createIdentity('crowd');
    const insertStarted = performance.now();
    await insertSyntheticLibrary(stack.databaseUrl, { ownerId: bulkOwner.id, identityId: crowd.id, descriptors: library });
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    // Before any search of that owner: the service's first search loads the same rows the same way.
    const index = await timeServiceIndex(stack.databaseUrl, bulkOwner.id, queries);
    if (index.rows !== LARGE_LIBRARY) throw new Error(`the service's repository read ${index.rows} rows`);

    // The same photo against a small and a large library: the difference is what the library costs.
    const probe = photos.search[0] as Photo;
    const first = await bulk.search(probe);
    const smallMs: number[] = [];
    const largeMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      smallMs.push((await client.search(probe)).ms);
      largeMs.push((await bulk.search(probe)).ms);
    }

    const rows: BenchRow[] = [
      {
        case: CASES.enrol,
        figures: { ...latency(enrolMs), '× limit': ratio(enrolMs, limit.crops.inferMs.slice(0, photos.enrol.length)) },
      },
      {
        case: CASES.search,
        figures: { ...latency(searchMs), '× limit': ratio(searchMs, limit.crops.inferMs.slice(photos.enrol.length)) },
      },
      { case: CASES.searchGroups, figures: { ...latency(groupMs), '× limit': ratio(groupMs, limit.groups.inferMs) } },
      {
        case: CASES.saturated,
        figures: { ...latency(saturatedMs), 'photos/s': photosPerSec, '× limit': ratio(saturatedMs, limit.crops.inferMs) },
      },
      { case: CASES.indexScan, figures: { ...latency(index.searchMs), '× limit': ratio(index.searchMs, scanMs) } },
      { case: CASES.indexLoad, figures: { 'first (ms)': index.loadMs } },
      { case: CASES.small, figures: latency(smallMs) },
      {
        case: CASES.large,
        figures: {
          ...latency(largeMs),
          'first (ms)': first.ms,
          'Δ p50 vs 24 stored': percentile(largeMs, 50) - percentile(smallMs, 50),
        },
      },
    ];
    return {
      limit,
      scanMs,
      rows,
      notes: {
        'saturation photos/s': `${photosPerSec.toFixed(2)} (${SATURATION_REQUESTS} crop searches, ${IN_FLIGHT} in flight)`,
        'search answers': `${right} of ${photos.search.length} crop searches named the right person; group photos gave ${groupFaces.join(', ')} faces`,
        '100k library': `${N} random unit 128-d vectors under one identity of a second user, inserted in ${insertSeconds.toFixed(1)} s; its first search loads the owner's index (first (ms)), then ${REPEATS} searches of one crop, alternating with the same search by the first user (24 stored)`,
      },
    };
  } finally {
    await stack.close();
  }
}

const benchmark: Benchmark = {
  name: 'faces',
  description:
    'Face library: per-photo latency of enrol and search through the gateway beside the model alone on the same photos and backend, photos/s with every inference worker busy, and search over 100,000 stored descriptors beside a full scan.',
  async run() {
    const natsUrl = process.env.NATS_URL || DEFAULT_NATS;
    const postgresUrl = process.env.DATABASE_URL || DEFAULT_POSTGRES;
    const nats = await probeNats(natsUrl);

    console.log('model alone: loading the face-match model module in this process…');
    const model = await loadModelLimit();
    const photos = { enrol: await crops([1, 2, 3]), search: await crops([4, 5]), groups: await groups() };
    // Warm-up: the first inferences compile the graphs.
    for (const photo of photos.enrol.slice(0, 2)) await model.run(photo);

    let measured: Measured;
    if (nats.ok) {
      measured = await throughGateway(natsUrl, postgresUrl, model, photos);
    } else {
      console.log(`through the gateway: NOT RUN — ${nats.reason}`);
      measured = await modelOnly(model, photos);
    }
    const { limit, scanMs } = measured;
    const gateway = nats.ok
      ? measured.rows
      : GATEWAY_CASES.map((name) => ({
          case: name,
          figures: {},
          skipped: `${nats.reason} (the services run as processes over NATS)`,
        }));
    const tensors = model.tensors();
    const cropFaces = limit.crops.runs.filter((r) => r.faces === 1).length;
    const groupFaces = limit.groups.runs.slice(0, photos.groups.length).map((r) => r.faces);

    return {
      columns: [
        { key: 'p50', unit: 'ms' },
        { key: 'p95', unit: 'ms' },
        { key: 'photos/s', unit: 'count' },
        { key: '× limit', unit: 'x' },
        { key: 'first (ms)', unit: 'count' },
        { key: 'Δ p50 vs 24 stored', unit: 'ms', signed: true },
      ],
      limit: LIMIT,
      rows: [
        {
          case: LIMIT,
          figures: { ...latency(limit.crops.inferMs), 'photos/s': (WORKERS * 1000) / mean(limit.crops.inferMs), '× limit': 1 },
        },
        { case: CASES.modelGroups, figures: { ...latency(limit.groups.inferMs), '× limit': 1 } },
        ...gateway.slice(0, 4),
        { case: CASES.scan, figures: { ...latency(scanMs), '× limit': 1 } },
        ...gateway.slice(4),
      ],
      settings: {
        backend: `${model.backend} (models loaded in ${Math.round(model.loadMs)} ms; live tensors ${tensors.before} after loading, ${tensors.now} after the last photo)`,
        'model only': `services/face-match/src/model in the runner: decodeImage (sharp), then detect = SSD MobileNet v1 + 68 landmarks + 128-d descriptor, with the padded retry of a tight crop; decode not counted (p50 ${percentile(limit.crops.decodeMs, 50).toFixed(1)} ms per crop); each photo runs here right before its request, so both meet the same background load; one face in ${cropFaces} of ${limit.crops.runs.length} crops, groups ${groupFaces.join(', ')}`,
        'limit photos/s': `${WORKERS} workers × 1 / mean model time per crop (${mean(limit.crops.inferMs).toFixed(0)} ms): the ceiling with every worker busy and nothing else running`,
        '× limit': 'p50 of the case ÷ p50 of the model alone on the same photos (the index row: ÷ p50 of the full scan)',
        photos: `8 people × 5 crops of 150×150 (shared/fixtures/faces): photos 1–3 enrolled (24, one per request) under 8 identities, 4–5 searched (16); group photos bbt1–5 (1366 px wide), each searched twice`,
        processes: `auth, chat-notify, face-match (FACE_WORKERS=${WORKERS}), gateway: one process each over NATS ${natsUrl}, one fresh Postgres database; photos through the fs scratch store; requests from the runner with fetch (multipart)`,
        scan: `the crops' real descriptors as queries, ${SCAN_ROUNDS} rounds after 3 warm-ups, against ${N} random unit 128-d vectors: full squared Euclidean per row here; face-match's nearest() (services/face-match/src/services/library-index.ts) runs over the same rows loaded by its own repository, and stops a row once it exceeds the best so far`,
        ...measured.notes,
      },
    };
  },
};

export default benchmark;
