import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One test file per core. Vitest's default keeps a core for its main process (one worker on 2 cores), so on this
    // 2-core machine the files ran one after the other and most of them, single-threaded, left a core idle; the main
    // process only collects results. Files that use more than one core (CLI child processes, dynalite on a worker
    // thread, Chromium) just share the two cores with the other file while they run.
    maxWorkers: availableParallelism(),
    // One DynamoDB Local for the whole run when DYNAMODB_TARGET=dynamodb-local (nothing otherwise).
    globalSetup: ['tests/global-setup.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
  },
});
