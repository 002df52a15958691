/** Shared by this package's tests: the failure reason of a verification that must fail. */
import { expect } from 'vitest';
import { TokenVerificationError } from '../src/index.js';

export async function failureOf(promise: Promise<unknown>): Promise<TokenVerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the verification was expected to fail').toBeInstanceOf(TokenVerificationError);
  return error as TokenVerificationError;
}

export async function reasonOf(promise: Promise<unknown>): Promise<string> {
  return (await failureOf(promise)).reason;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
