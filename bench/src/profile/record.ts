/**
 * A CPU profile of this process over a window, through node:inspector's in-process Session
 * (Profiler.enable/start/stop): unlike `node --cpu-prof`, which profiles the whole run from start to
 * exit (provisioning, seeding, warm-up), only the measured window is recorded.
 */
import { Session } from 'node:inspector/promises';
import type { CpuProfile } from './cpuprofile.js';

export interface Recording {
  stop(): Promise<CpuProfile>;
}

/** Starts sampling every `intervalUs` µs (V8's default is 1000; finer shows short frames). */
export async function startCpuProfile(intervalUs: number): Promise<Recording> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    // Must precede Profiler.start: V8 ignores a new interval while a profile is running.
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
  } catch (error) {
    session.disconnect();
    throw new Error(
      `Cannot start the CPU profile because the inspector refused it (${(error as Error).message}). Run without another profiler or debugger attached.`,
    );
  }
  return {
    async stop() {
      try {
        const { profile } = await session.post('Profiler.stop');
        await session.post('Profiler.disable');
        return profile as CpuProfile;
      } finally {
        session.disconnect();
      }
    },
  };
}
