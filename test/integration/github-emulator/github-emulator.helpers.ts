import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { SAMPLE } from '../../../src/dev/github-emulator/index.ts';

/** Octokit logs every refused request; these tests provoke refusals on purpose. */
export const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The real Octokit as the sample App's installation, against the emulator at `url`. */
export function sampleOctokit({ url, privateKey }: { url: string; privateKey: string }): Octokit {
  return new Octokit({
    baseUrl: url,
    log,
    authStrategy: createAppAuth,
    auth: { appId: SAMPLE.appId, privateKey, installationId: SAMPLE.installationId },
  });
}

/** A refused request as Octokit's RequestError carries it. */
type Failure = {
  status: number;
  response?: { data?: { message?: string }; headers?: Record<string, string> };
};

async function failureOf(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the request to be refused');
}

/** The status and GitHub's message of a request the test expects to be refused. */
export async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  const e = await failureOf(promise);
  return { status: e.status, message: e.response?.data?.message ?? '' };
}

/** `refusal`, with GitHub's whole body. */
export async function refusalWithBody(promise: Promise<unknown>) {
  const e = await failureOf(promise);
  return { status: e.status, message: e.response?.data?.message ?? '', body: e.response?.data as unknown };
}

/** `refusal`, with the answer's headers. */
export async function refusalWithHeaders(promise: Promise<unknown>) {
  const e = await failureOf(promise);
  const headers: Record<string, string | undefined> = e.response?.headers ?? {};
  return { status: e.status, message: e.response?.data?.message ?? '', headers };
}
