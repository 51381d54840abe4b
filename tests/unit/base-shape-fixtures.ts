import { addOrder, type Customer, newCustomer } from '../../shared/domain/customer.ts';
import { type Archetype, syntheticBase } from '../../shared/seed/synthetic-base.ts';

/** The demo's synthetic base as stored customers (aggregates built by the domain's own addOrder), with archetypes. */
export function syntheticCustomers(
  customers: number,
  end: string,
  seed = 7,
): { customers: Customer[]; archetypes: Map<string, Archetype> } {
  const base = syntheticBase({ customers, end, seed });
  const byId = new Map<string, Customer>();
  for (const profile of base.profiles) byId.set(profile.customer_id, newCustomer(profile.customer_id, 'USD'));
  for (const order of base.orders) {
    const current = byId.get(order.customerId) ?? newCustomer(order.customerId, 'USD');
    byId.set(order.customerId, addOrder(current, order));
  }
  return { customers: [...byId.values()], archetypes: base.archetypes };
}
