// Runs dynalite on its own thread so the database and the jobs use separate cores.
// Plain JavaScript: worker threads do not inherit the tsx loader.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  ...(workerData?.path ? { path: workerData.path } : {}),
});
server.listen(0, '127.0.0.1', (err) => {
  if (err) throw err;
  parentPort?.postMessage({ port: server.address().port });
});
parentPort?.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort?.postMessage({ closed: true }));
});
