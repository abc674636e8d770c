/** Says which real services this run uses; with them configured, unreachable is a failure, never a skip. */
export default async function setup(): Promise<void> {
  const db = process.env.DATABASE_URL ? `postgres (${redact(process.env.DATABASE_URL)})` : 'PGlite (embedded)';
  const bus = process.env.NATS_URL
    ? `NATS (${process.env.NATS_URL}) and in-process`
    : 'in-process only (set NATS_URL to add NATS)';
  console.log(`[parley tests] database: ${db}; bus: ${bus}`);
}

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
