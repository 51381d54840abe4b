/**
 * What fitting the buy-till-you-die models costs (docs/predictive.md): each model's fit time, optimiser iterations
 * and the distinct (x, t_x, T) rows its likelihood runs over, on the CDNOW sample (2,357 customers) and the full
 * CDNOW file (23,570). Pure CPU in this process; no servers. Standalone: `tsx bench/scenarios/btyd-fit.ts`.
 * (Not registered in bench/run.ts yet: `r.btydFit = await btydFitScenario(ROOT)` would add it.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitBgNbd } from '../../shared/domain/btyd/bg-nbd.ts';
import { type CdnowFormat, parseCdnowTransactions } from '../../shared/domain/btyd/cdnow-format.ts';
import { summariseCustomers } from '../../shared/domain/btyd/customer-summary.ts';
import { fitGammaGamma } from '../../shared/domain/btyd/gamma-gamma.ts';
import { fitParetoNbd } from '../../shared/domain/btyd/pareto-nbd.ts';
import { log, seconds } from '../measure.ts';

export interface BtydFitTiming {
  model: string;
  seconds: number;
  iterations: number;
  distinctRows: number;
  converged: boolean;
  logLikelihood: number | null;
}

export interface BtydFitResult {
  data: string;
  customers: number;
  repeatBuyers: number;
  fits: BtydFitTiming[];
}

const CALIBRATION_END = '1997-09-30';

export async function btydFitScenario(root: string): Promise<BtydFitResult[]> {
  const inputs: [string, CdnowFormat][] = [
    ['tests/fixtures/cdnow-sample/CDNOW_sample.txt', 'cdnow-sample'],
    ['data/cdnow/CDNOW_master.txt', 'cdnow'],
  ];
  const results: BtydFitResult[] = [];
  for (const [path, format] of inputs) {
    const { transactions } = parseCdnowTransactions(await readFile(join(root, path), 'utf8'), format);
    const customers = summariseCustomers(transactions, { calibrationEnd: CALIBRATION_END });
    const fits = [fitBgNbd, fitParetoNbd, fitGammaGamma].map((fitModel) => {
      const start = performance.now();
      const result = fitModel(customers);
      const timing = {
        model: result.model,
        seconds: seconds(start),
        iterations: result.iterations,
        distinctRows: result.distinctRows,
        converged: result.converged,
        logLikelihood: result.logLikelihood,
      };
      log(`btyd ${path}: ${timing.model} ${timing.seconds.toFixed(2)} s, ${timing.distinctRows} rows`);
      return timing;
    });
    results.push({
      data: path,
      customers: customers.length,
      repeatBuyers: customers.filter((c) => c.frequency > 0).length,
      fits,
    });
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  process.stdout.write(`${JSON.stringify(await btydFitScenario(root), null, 2)}\n`);
}
