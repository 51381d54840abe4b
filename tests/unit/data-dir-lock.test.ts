import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../cli/runtime.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const RUNTIME = new URL('../../cli/runtime.ts', import.meta.url).href;
const TSX = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');

let root: string;
let n = 0;
const freshDir = () => join(root, `data-${++n}`);
const inUse = (dir: string, pid: number) =>
  `data directory ${dir} is in use by another clientele command (pid ${pid}); wait for it or use --data-dir`;

/** A process that has exited: its pid is (for the length of a test) not alive. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'clientele-lock-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the data directory lock', () => {
  it('is exclusive while held and free again after release', async () => {
    const dir = freshDir();
    const lock = await lockDataDir(dir);
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(inUse(dir, process.pid));
    await lock.release();
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('fails at once, naming the pid, while another live process holds it', async () => {
    const dir = freshDir();
    const holder: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      await lockDataDir(dir).then((l) => l.release());
      await writeFile(join(dir, 'lock'), `${holder.pid}\n`);
      const started = Date.now();
      await expect(lockDataDir(dir)).rejects.toThrow(inUse(dir, holder.pid as number));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a stale lock: a dead pid, our own pid left by an earlier process, or garbage', async () => {
    for (const content of [`${await deadPid()}\n`, `${process.pid}\n`, 'garbage', '']) {
      const dir = freshDir();
      await lockDataDir(dir).then((l) => l.release());
      await writeFile(join(dir, 'lock'), content);
      const lock = await lockDataDir(dir);
      expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
      await lock.release();
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('release leaves a lock alone that is no longer ours', async () => {
    const dir = freshDir();
    const lock = await lockDataDir(dir);
    await writeFile(join(dir, 'lock'), '1\n');
    await lock.release();
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe('1\n');
  });

  it('lets exactly one of several processes racing for a stale lock take it', { timeout: 60_000 }, async () => {
    const dir = freshDir();
    await lockDataDir(dir).then((l) => l.release());
    await writeFile(join(dir, 'lock'), `${await deadPid()}\n`);
    const script = join(root, 'race.mts');
    await writeFile(
      script,
      `import { lockDataDir } from ${JSON.stringify(RUNTIME)};
const start = Number(process.argv[2]);
await new Promise((r) => setTimeout(r, Math.max(0, start - Date.now())));
try {
  await lockDataDir(process.argv[3]);
  process.stdout.write('locked');
  await new Promise((r) => setTimeout(r, 1500));
} catch (error) {
  process.stdout.write(error.message.includes('is in use by another clientele command') ? 'in use' : error.message);
}
`,
    );
    const start = String(Date.now() + 4_000);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => run(process.execPath, [TSX, script, start, dir]).then((r) => r.stdout)),
    );
    expect(results.sort()).toEqual(['in use', 'in use', 'in use', 'in use', 'in use', 'locked']);
  });
});
