import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ReportSink } from '../../ports.ts';

/** Writes report files into a local folder (the CLI's `out/`). */
export function localReportSink(directory: string): ReportSink {
  return {
    async write(name, body) {
      await mkdir(directory, { recursive: true });
      const path = resolve(join(directory, name));
      await writeFile(path, body, 'utf8');
      return path;
    },
  };
}
