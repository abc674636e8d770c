import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// face-api ships CommonJS bundles per backend; its types are the same for each.
type FaceApi = typeof import('@vladmandic/face-api');
// face-api types only the part of tfjs it uses; at run time `faceapi.tf` is the whole library.
type Tf = typeof import('@tensorflow/tfjs');

export type BackendName = 'tensorflow' | 'wasm';

export interface LoadedFaceApi {
  faceapi: FaceApi;
  tf: Tf;
  backend: BackendName;
}

const require = createRequire(import.meta.url);

/**
 * tfjs-node when its native binding loads (an optional dependency: its download needs the internet),
 * else WASM with SIMD. Never the pure-JS CPU backend: it is ~50× slower, so a boot that would fall
 * back to it fails instead.
 */
export const loadFaceApi = async (): Promise<LoadedFaceApi> => {
  const native = tryNative();
  if (native) return native;
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // The .wasm binaries come from node_modules, never from a CDN.
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  const tf = faceapi.tf as unknown as Tf;
  const ok = await tf.setBackend('wasm');
  await tf.ready();
  if (!ok || tf.getBackend() !== 'wasm') {
    throw new Error('face-match: neither tfjs-node nor the WASM backend could start; refusing the CPU backend');
  }
  return { faceapi, tf, backend: 'wasm' };
};

const tryNative = (): LoadedFaceApi | null => {
  try {
    require('@tensorflow/tfjs-node');
  } catch {
    return null;
  }
  const faceapi = require('@vladmandic/face-api/dist/face-api.node.js') as FaceApi;
  const tf = faceapi.tf as unknown as Tf;
  return tf.getBackend() === 'tensorflow' ? { faceapi, tf, backend: 'tensorflow' } : null;
};

/** The weights ship inside the npm package: loaded from disk, never from the network. */
export const modelFolder = (): string => join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
