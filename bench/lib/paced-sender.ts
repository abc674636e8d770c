export interface PacedResult {
  /** Indexes of the messages the server accepted. */
  accepted: number[];
  /** Why the others were refused, with how many each. */
  refused: Map<string, number>;
  failed: number;
  /** Epoch ms (performance.timeOrigin + now) when the first message was sent. */
  firstSentAt: number;
  /** Messages sent later than their slot because `maxInFlight` were still waiting for an answer. */
  late: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Open loop: message i leaves at start + i / rate whatever happened to the ones before it (a closed
 * loop would slow down with the server and hide its latency), with at most `maxInFlight` unanswered.
 * `send` resolves true when the server accepted the message, or with the reason it did not.
 */
export async function sendPaced(
  rate: number,
  count: number,
  maxInFlight: number,
  send: (index: number) => Promise<true | string>,
): Promise<PacedResult> {
  const result: PacedResult = { accepted: [], refused: new Map(), failed: 0, firstSentAt: Number.NaN, late: 0 };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight.size >= maxInFlight) {
      result.late++;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    if (i === 0) result.firstSentAt = performance.timeOrigin + performance.now();
    const sending = send(i)
      .catch((err: unknown) => `${(err as Error).message ?? String(err)}`)
      .then((outcome) => {
        if (outcome === true) result.accepted.push(i);
        else {
          result.failed++;
          result.refused.set(outcome, (result.refused.get(outcome) ?? 0) + 1);
        }
        inFlight.delete(sending);
      });
    inFlight.add(sending);
  }
  await Promise.all(inFlight);
  result.accepted.sort((a, b) => a - b);
  return result;
}
