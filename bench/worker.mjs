// Worker threads do not inherit the tsx loader that `npm run bench` starts the main thread with:
// register it here, then load the TypeScript module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
