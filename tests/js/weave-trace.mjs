// weave.init with a bare project (no entity), then one traced op call, as a user would write it; the
// gateway's URL and key come from WANDB_BASE_URL and WANDB_API_KEY (the client derives
// https://<host>/graphql and https://<host>/traces from the host whatever the URL's scheme says), its
// certificate's CA from NODE_EXTRA_CA_CERTS. Prints the project the client traced into.
import * as weave from 'weave';

const project = process.argv[2] ?? 'team-p';
const client = await weave.init(project);
const add = weave.op(async function add(a, b) { return a + b; });
const sum = await add(2, 3);
await client.waitForBatchProcessing();
console.log(JSON.stringify({ projectId: client.projectId, sum }));
process.exit(0);
