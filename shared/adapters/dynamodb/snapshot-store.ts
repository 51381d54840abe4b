import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { BaseModelSchema } from '../../domain/btyd/model-record.ts';
import { CohortReportSchema, CohortRowSchema } from '../../domain/cohort.ts';
import { describeIssues } from '../../domain/common.ts';
import type { SnapshotStore } from '../../ports.ts';
import { batchWrite } from './batch.ts';

const WatermarkSchema = z.object({ asOf: z.string().nullable(), settings: z.string() });

/**
 * Cohort snapshots: one `summary` item plus one item per cohort, so a base with many years of cohorts never
 * approaches the 400 KB item limit.
 */
export function dynamoSnapshots(client: DynamoDBDocumentClient, table: string): SnapshotStore {
  const idOf = (asOf: string) => `cohorts#${asOf.slice(0, 10)}`;
  return {
    async saveCohortReport(report) {
      const snapshotId = idOf(report.asOf);
      const { cohorts, ...summary } = report;
      await batchWrite(client, table, [
        { PutRequest: { Item: { snapshotId, part: 'summary', ...summary } } },
        ...cohorts.map((row) => ({ PutRequest: { Item: { snapshotId, part: `cohort#${row.cohort}`, ...row } } })),
      ]);
    },
    async getWatermark(job) {
      const result = await client.send(
        new GetCommand({
          TableName: table,
          Key: { snapshotId: `watermark#${job}`, part: 'state' },
          ConsistentRead: true,
        }),
      );
      const parsed = WatermarkSchema.safeParse(result.Item);
      return parsed.success && parsed.data.asOf
        ? { asOf: parsed.data.asOf, settings: parsed.data.settings }
        : undefined;
    },
    async setWatermark(job, watermark) {
      await client.send(
        new PutCommand({
          TableName: table,
          // A cleared watermark is written as asOf null (no DeleteItem permission needed).
          Item: {
            snapshotId: `watermark#${job}`,
            part: 'state',
            asOf: watermark?.asOf ?? null,
            settings: watermark?.settings ?? '',
          },
        }),
      );
    },
    async loadModel() {
      const result = await client.send(
        new GetCommand({ TableName: table, Key: { snapshotId: 'model#current', part: 'state' }, ConsistentRead: true }),
      );
      if (!result.Item) return undefined;
      // Stored as JSON text: the fits hold floats at full precision and nulls, which DynamoDB numbers would not.
      const parsed = BaseModelSchema.safeParse(JSON.parse(String(result.Item.body)));
      if (!parsed.success) throw new Error(`stored model model#current is invalid: ${describeIssues(parsed.error)}`);
      return parsed.data;
    },
    async saveModel(model) {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: { snapshotId: 'model#current', part: 'state', asOf: model.asOf, body: JSON.stringify(model) },
        }),
      );
    },
    async loadCohortReport(asOf) {
      const items: Record<string, unknown>[] = [];
      const pages = paginateQuery(
        { client },
        {
          TableName: table,
          KeyConditionExpression: 'snapshotId = :id',
          ExpressionAttributeValues: { ':id': idOf(asOf) },
        },
      );
      for await (const result of pages) items.push(...(result.Items ?? []));
      const summary = items.find((i) => i.part === 'summary');
      if (!summary) return undefined;
      const rows = items.filter((i) => String(i.part).startsWith('cohort#')).map((i) => CohortRowSchema.parse(i));
      const parsed = CohortReportSchema.safeParse({ ...summary, cohorts: rows });
      if (!parsed.success)
        throw new Error(`stored cohort snapshot ${idOf(asOf)} is invalid: ${describeIssues(parsed.error)}`);
      return parsed.data;
    },
  };
}
