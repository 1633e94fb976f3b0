import type { Command } from '#cli/command.ts';
import { emit } from '#cli/io.ts';

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'Show the principal the profile signs as',
  help: `Usage: rex whoami [--profile <name>] [--json]

Asks the API who the profile's credential stands for (GET /v1/whoami).`,
  options: {},
  needsProfile: true,
  async run(ctx) {
    const profile = ctx.profile();
    const me = await ctx.client().whoami();
    emit(ctx.io, ctx.json, { ...me, profile: profile.name, endpoint: profile.endpoint }, () =>
      [`${me.principal} (${me.kind})`, `  profile   ${profile.name}`, `  endpoint  ${profile.endpoint}`].join(
        '\n',
      ),
    );
    return 0;
  },
};
