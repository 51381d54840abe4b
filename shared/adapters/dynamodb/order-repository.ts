import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { describeIssues, type InvalidItem } from '../../domain/common.ts';
import { type Order, OrderSchema } from '../../domain/events.ts';
import type { OrderRepository } from '../../ports.ts';
import { batchGet, batchWrite } from './batch.ts';

export function dynamoOrders(client: DynamoDBDocumentClient, table: string): OrderRepository {
  return {
    async get(customerId, orderId) {
      const result = await client.send(
        new GetCommand({ TableName: table, Key: { customerId, orderId }, ConsistentRead: true }),
      );
      if (!result.Item) return undefined;
      const parsed = OrderSchema.safeParse(result.Item);
      if (!parsed.success)
        throw new Error(`stored order ${customerId}/${orderId} is invalid: ${describeIssues(parsed.error)}`);
      return parsed.data;
    },
    async putIfAbsent(order) {
      try {
        await client.send(
          new PutCommand({ TableName: table, Item: order, ConditionExpression: 'attribute_not_exists(orderId)' }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async getMany(keys) {
      const raw = await batchGet(
        client,
        table,
        keys.map((k) => ({ customerId: k.customerId, orderId: k.orderId })),
        { consistent: true },
      );
      return raw.flatMap((item) => {
        const parsed = OrderSchema.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      });
    },
    async listForCustomer(customerId) {
      const orders: Order[] = [];
      const pages = paginateQuery(
        { client },
        {
          TableName: table,
          // Strongly consistent: a recompute must see every order stored before it (I1).
          ConsistentRead: true,
          KeyConditionExpression: 'customerId = :c',
          ExpressionAttributeValues: { ':c': customerId },
        },
      );
      for await (const result of pages) {
        for (const item of result.Items ?? []) {
          const parsed = OrderSchema.safeParse(item);
          if (parsed.success) orders.push(parsed.data);
        }
      }
      return orders;
    },
    async *scanAll() {
      for await (const result of paginateScan({ client }, { TableName: table })) {
        const items: Order[] = [];
        const invalid: InvalidItem[] = [];
        for (const raw of result.Items ?? []) {
          const parsed = OrderSchema.safeParse(raw);
          if (parsed.success) items.push(parsed.data);
          else
            invalid.push({
              key: `order ${String(raw.customerId)}/${String(raw.orderId)}`,
              error: describeIssues(parsed.error),
            });
        }
        yield { items, invalid };
      }
    },
    async deleteMany(keys) {
      await batchWrite(
        client,
        table,
        keys.map((k) => ({ DeleteRequest: { Key: { customerId: k.customerId, orderId: k.orderId } } })),
      );
    },
    async putMany(orders) {
      await batchWrite(
        client,
        table,
        orders.map((o) => ({ PutRequest: { Item: o } })),
      );
    },
  };
}
