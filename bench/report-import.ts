import { dec, int, table } from './format.ts';
import type { BenchResults } from './results.ts';
import type { EventCosts, RequestCost } from './scenarios/import-cdnow.ts';

const byCommand = (c: RequestCost) =>
  Object.entries(c.requestsPerByCommand)
    .map(([name, n]) => `${name} ${dec(n, 2)}`)
    .join(', ');

function eventRows(e: EventCosts, label: string): string[][] {
  const o = e.orderEvents;
  const d = e.redeliveries;
  return [
    [
      `**order.placed for an existing customer: requests per event** (${label})`,
      `**${dec(o.requestsPer, 2)}** (${byCommand(o)}); ${dec(o.readUnitsPer, 2)} RRU + ${dec(o.writeUnitsPer, 2)} WRU ` +
        `per event; ${int(o.count)} events, ${int(o.applied)} applied, ${o.rejected} rejected, ${o.failed} failed, ` +
        `${dec((o.seconds / Math.max(1, o.count)) * 1000, 1)} ms each (one at a time)`,
    ],
    [
      `**the same events redelivered: requests per event** (${label})`,
      `**${dec(d.requestsPer, 2)}** (${byCommand(d)}); ${dec(d.readUnitsPer, 2)} RRU + ${dec(d.writeUnitsPer, 2)} WRU; ` +
        `${int(d.duplicates)} recognised as duplicates, ${int(d.applied)} applied`,
    ],
  ];
}

export function importCdnowSection(r: BenchResults): string[] {
  const c = r.importCdnow;
  if (!c) return [];
  const imp = c.import;
  const b = c.before;
  return [
    `## CDNOW import (\`${c.file}\` into a fresh dynalite${c.eventsOnTarget ? `, events also on ${c.eventsOnTarget.target}` : ''}; run of ${c.run.slice(0, 16)}Z)`,
    '',
    `Before this change the same CDNOW import took ~${b.importSeconds} s on this machine (${b.note}; measured on ` +
      `commit ${b.commit}) and an order event cost ${b.requestsPerOrderEvent} requests (a redelivery ` +
      `${b.requestsPerRedelivery}).`,
    '',
    table(
      ['measure', 'value'],
      [
        [
          'parsed (parseCdnow)',
          `${int(c.rows)} rows → ${int(c.orders)} orders of ${int(c.customers)} customers, ${c.rejectedRows} rejected, ` +
            `${dec(c.parseSeconds, 1)} s`,
        ],
        [
          `**import (importCustomers into a fresh embedded dynalite, classified as of ${c.asOf.slice(0, 10)})**`,
          `**${dec(imp.seconds, 1)} s**, **${int(imp.customersPerSecond)} customers/s** (${int(imp.ordersPerSecond)} orders/s); ` +
            `${int(imp.createdCustomers)} created, ${int(imp.ordersApplied)} orders applied, ${imp.duplicateOrders} duplicates, ` +
            `${imp.conflicts} conflicts, ${imp.rejected} rejected`,
        ],
        [
          'import: DynamoDB requests by command',
          `${Object.entries(imp.requestsByCommand)
            .map(([name, x]) => `${name} ${int(x.requests)}`)
            .join(', ')} (${int(imp.requests)} in all)`,
        ],
        ['import: requests per customer', `${dec(imp.requestsPer, 3)} (${byCommand(imp)})`],
        [
          'import: capacity units per customer (dynalite: table only, no GSI copies)',
          `${dec(imp.readUnitsPer, 2)} RRU + **${dec(imp.writeUnitsPer, 2)} WRU**`,
        ],
        [
          `**first full flag pass as of ${c.asOf.slice(0, 10)} after the import**`,
          `**${int(c.flag.itemsRead)} items read, ${int(c.flag.putItems)} PutItems** (${int(c.flag.changed)} changed, ` +
            `${int(c.flag.scanned)} classified, ${dec(c.flag.readUnits, 0)} RRU, ${dec(c.flag.writeUnits, 0)} WRU, ` +
            `${dec(c.flag.seconds, 1)} s)`,
        ],
        ...eventRows(c.events, `dynalite, all ${int(c.events.customers)} customers imported`),
        ...(c.eventsOnTarget
          ? eventRows(
              c.eventsOnTarget,
              `${c.eventsOnTarget.target}, GSI copies counted, their ${int(c.eventsOnTarget.customers)} customers imported`,
            )
          : []),
        ['stored item sizes (JSON)', `customer ${int(c.avgCustomerItemBytes)} B, order ${int(c.avgOrderItemBytes)} B`],
      ],
    ),
    '',
  ];
}
