import type { Problem } from '@parley/contracts';

/** A non-2xx answer from Parley, with the problem document it sent. */
export class ParleyApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  readonly headers: Headers;

  constructor(problem: Problem, headers: Headers) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = 'ParleyApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
    this.headers = headers;
  }
}
