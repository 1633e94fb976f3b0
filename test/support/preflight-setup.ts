import { assertPrerequisites } from '#local/preflight.ts';

/**
 * End-to-end tier: each file starts its own local platform, so nothing is shared;
 * this only checks first that Node and Java are there, in one sentence each.
 * (Chromium is checked by the test that launches it.)
 */
export default function setup(): void {
  assertPrerequisites({ java: true });
}
