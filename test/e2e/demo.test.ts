import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `npm run demo` tells the whole story and exits 0 (it checks every step itself). */
describe('npm run demo', () => {
  it('runs the story end to end', () => {
    const res = spawnSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'local/demo.ts'],
      { encoding: 'utf8', timeout: 150_000 },
    );
    expect(res.stderr).not.toContain('The demo stopped');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('JMD');
    expect(res.stdout).toContain('MBE');
    expect(res.stdout).toMatch(/revoked — dropped unread/);
    // The loop closes by events: contact arrives on the authority's queue.
    expect(res.stdout).toMatch(/referral\.queued → referral\.received → referral\.contacted/);
    expect(res.stdout).toMatch(/Olena \(33\): (referral\.queued → )?referral\.revoked/);
    // A withdrawal after receipt reaches the office, rex erases and confirms, the report says so (Art. 19).
    expect(res.stdout).toMatch(/Dawit \(45\) withdraws consent after his service received the referral/);
    expect(res.stdout).toMatch(/Erasure requested from .+ \(mbe-[a-z-]+\); not confirmed yet\./);
    expect(res.stdout).toContain('The platform no longer holds the encrypted referral (410 Gone).');
    expect(res.stdout).toMatch(
      /erased +ref_\w+: erasure request; its file deleted and the erasure confirmed/,
    );
    expect(res.stdout).toMatch(
      /The authority sees: erasure confirmed by mbe-[a-z-]+ at \d{1,2}\.\d{1,2}\.\d{4}/,
    );
    expect(res.stdout).toMatch(
      /Dawit \(45\): received by mbe-[a-z-]+; consent withdrawn\.\n {3} {3}Art\. 19: erasure communicated to mbe-[a-z-]+ at [\d.]+, [\d:]+; confirmed at [\d.]+, [\d:]+\./,
    );
    expect(res.stdout).toMatch(/OK: \d+ entries verified/);
    expect(res.stdout).toMatch(/OK: entry 1 is in the log signed at tree size \d+/);
    expect(res.stdout).toMatch(/OK: the log at tree size \d+ extends all \d+ older checkpoint/);
    expect(res.stdout).toMatch(/COSIGNED: tree size \d+ of \S+ \(the first checkpoint this witness sees\)/);
    expect(res.stdout).toMatch(/COSIGNED: tree size \d+ of \S+, consistent with \d+/);
    expect(res.stdout).toContain('Demo complete.');
    // The officer signed in through the OpenID provider, not with an AWS key.
    expect(res.stdout).toMatch(/Signed in as datenschutz\.lk-karlsruhe@demo\.invalid for dpo:lk-karlsruhe/);
    // The people's pages, each with a demo sign-in.
    for (const page of ['authority', 'office', 'dpo'])
      expect(res.stdout).toMatch(
        new RegExp(`http://127\\.0\\.0\\.1:\\d+/local/${page} +\\S+@demo\\.invalid +\\S{16,}`),
      );
  });
});
