// wandb.init with a bare project (no entity), as a user would write it; the gateway's URL and key come
// from WANDB_BASE_URL and WANDB_API_KEY. Prints where the SDK believes the run lives.
import wandb from '@wandb/sdk';

const project = process.argv[2] ?? 'team-p';
const run = await wandb.init({ project });
wandb.log({ loss: 0.25 });
wandb.log({ loss: 0.125 });
await wandb.finish();
console.log(JSON.stringify({ entity: run.entity, project: run.project, id: run.id }));
process.exit(0);
