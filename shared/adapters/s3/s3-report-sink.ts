import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReportSink } from '../../ports.ts';

/** Writes report files to `s3://bucket/prefix/name`; returns the S3 URI. */
export function s3ReportSink(client: S3Client, bucket: string, prefix: string): ReportSink {
  return {
    async write(name, body, contentType) {
      const key = `${prefix.replace(/\/+$/, '')}/${name}`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
      return `s3://${bucket}/${key}`;
    },
  };
}
