/** The local platform as a child process, for end-to-end tests (shared with the demo and the benchmarks). */
export {
  isAlive,
  type ReadyInfo,
  type RunningPlatform,
  startPlatformProcess as startLocalPlatform,
} from '#local/platform-process.ts';
