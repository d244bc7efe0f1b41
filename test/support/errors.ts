import { StewardError } from '../../src/shared/errors.js';

/** The StewardError a promise rejects with; fails the test if it resolves or throws anything else. */
export async function caught(p: Promise<unknown>): Promise<StewardError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StewardError) return e;
    throw e;
  }
  throw new Error('expected a StewardError');
}
