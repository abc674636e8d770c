/** A clock the tests move forward instead of sleeping. */
export interface TestClock {
  (): Date;
  advance(seconds: number): void;
}

export const createTestClock = (): TestClock => {
  let offsetMs = 0;
  return Object.assign(() => new Date(Date.now() + offsetMs), {
    advance: (seconds: number) => {
      offsetMs += seconds * 1000;
    },
  });
};
