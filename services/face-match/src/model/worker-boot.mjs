// Running from source (tests, `pnpm dev`): a worker thread starts without the parent's TypeScript
// loader, so this bootstrap brings tsx in and hands piscina the real worker's handler.
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('../worker.ts', import.meta.url);
export default worker.default;
