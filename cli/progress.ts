import cliProgress from 'cli-progress';

export interface Progress {
  bar(
    label: string,
    total: number,
  ): { increment(n?: number): void; setTotal(total: number): void; update(value: number): void };
  stop(): void;
}

/** Progress bars on stderr (stdout stays clean for --json); silent when stderr is not a terminal. */
export function progress(enabled: boolean): Progress {
  const active = enabled && process.stderr.isTTY === true;
  const multi = active
    ? new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format: ' {label} |{bar}| {value}/{total} {percentage}% | {duration_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  return {
    bar(label, total) {
      const bar = multi?.create(total, 0, { label: label.padEnd(22) });
      return {
        increment: (n = 1) => bar?.increment(n),
        setTotal: (t) => bar?.setTotal(t),
        update: (v) => bar?.update(v),
      };
    },
    stop: () => multi?.stop(),
  };
}
