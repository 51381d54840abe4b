/**
 * A customer as they stood at an instant: what every report figure "as of" a date is computed from. Pure.
 *
 * The stored customer is the customer now. For a report as of now (the weekly pass) that is also the customer as of
 * the report: nothing is after the as-of instant, and no order needs reading. For a report as of a past date, a
 * customer whose last purchase came after it needs their orders: the stored month aggregates cannot say which of the
 * as-of month's orders came before the as-of instant, so the aggregates are rebuilt from the orders placed up to it.
 * The stage is classified at the as-of instant from these purchases (and the transitions recorded by then), not
 * read from the stored stage: that one is as of the last flag run, and an import that has not been flagged yet
 * leaves every buyer a prospect.
 */
import { type Customer, type CustomerScorer, type OrderFacts, withAggregatesOf } from './customer.ts';
import { type LifecyclePolicy, type Stage, stageOf } from './lifecycle.ts';

/** True when the stored aggregates include purchases after `asOf`: the as-of view then needs the orders. */
export function needsOrdersAsOf(customer: Customer, asOf: string): boolean {
  return (
    customer.firstPurchaseAt !== undefined &&
    customer.firstPurchaseAt <= asOf &&
    customer.lastPurchaseAt !== undefined &&
    customer.lastPurchaseAt > asOf
  );
}

/** An order that counts in the customer's aggregates (stored orders have `applied`; plain facts always count). */
type CountedOrder = OrderFacts & { applied?: boolean };

/**
 * The customer's purchase aggregates as of `asOf`, and their stage classified at `asOf`. `orders` (the customer's
 * stored orders) are required when {@link needsOrdersAsOf}; otherwise they are not read and may be omitted.
 */
export function customerAsOf(
  customer: Customer,
  asOf: string,
  policy: LifecyclePolicy,
  orders?: readonly CountedOrder[],
  /** the predictive model in force: the adaptive policy classifies with it */
  model?: CustomerScorer,
): Customer {
  let view = customer;
  if (needsOrdersAsOf(customer, asOf)) {
    if (!orders) throw new Error(`customer ${customer.customerId}: orders are needed for the view as of ${asOf}`);
    view = withAggregatesOf(
      customer,
      orders.filter((o) => o.applied !== false && o.placedAt <= asOf),
    );
  }
  const stage = stageAsOf(view, asOf, policy, model);
  return stage === view.stage ? view : { ...view, stage };
}

/**
 * The stage of a customer (with aggregates as of `asOf`) at `asOf`: the lifecycle policy applied at that instant,
 * with the stage before it taken from the last transition recorded by then (what makes a comeback "reactivated").
 */
export function stageAsOf(customer: Customer, asOf: string, policy: LifecyclePolicy, model?: CustomerScorer): Stage {
  let previous: { stage: Stage; since: string } | undefined;
  for (const t of customer.transitions) {
    if (t.at <= asOf && (!previous || t.at >= previous.since)) previous = { stage: t.to, since: t.at };
  }
  return stageOf(
    {
      orderCount: customer.orderCount,
      lastPurchaseAt: customer.lastPurchaseAt,
      stage: previous?.stage,
      stageSince: previous?.since,
    },
    asOf,
    policy,
    model?.survival(customer),
  );
}
