import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DOMAIN_DIR = fileURLToPath(new URL('../../shared/domain/', import.meta.url));
const FORBIDDEN_MODULES = [
  '@aws-sdk',
  'aws-cdk-lib',
  'aws-lambda',
  '@aws-lambda-powertools',
  'node:fs',
  'node:http',
  'fs',
  'http',
];

/** Module specifiers of static imports/exports, dynamic imports and requires. */
function importedModules(source: string): string[] {
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1] as string));
}

function isForbidden(specifier: string): boolean {
  return FORBIDDEN_MODULES.some((m) => specifier === m || specifier.startsWith(`${m}/`));
}

/** Reading the clock: `Date.now(` or `new Date()` with no arguments (`new Date(x)` is fine). */
const CLOCK_READ = /\bDate\.now\s*\(|\bnew\s+Date\s*\(\s*\)/;

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const files = readdirSync(DOMAIN_DIR)
  .filter((f) => f.endsWith('.ts'))
  .sort();

describe('domain purity', () => {
  it('the checks themselves flag what they should and only that', () => {
    expect(importedModules(`import { S3 } from '@aws-sdk/client-s3';\nimport fs from "node:fs";`)).toEqual([
      '@aws-sdk/client-s3',
      'node:fs',
    ]);
    expect(importedModules(`const m = await import('aws-cdk-lib');\nimport 'node:http';`)).toEqual([
      'node:http',
      'aws-cdk-lib',
    ]);
    expect(
      ['@aws-sdk/client-s3', 'node:fs/promises', 'aws-lambda', '@aws-lambda-powertools/logger'].every(isForbidden),
    ).toBe(true);
    expect(['zod', './time.ts', 'aws-lambda-helpers', 'fsx'].some(isForbidden)).toBe(false);
    expect(CLOCK_READ.test('const t = Date.now();')).toBe(true);
    expect(CLOCK_READ.test('const t = new Date();')).toBe(true);
    expect(CLOCK_READ.test('const t = new Date( );')).toBe(true);
    expect(CLOCK_READ.test('const t = new Date(x);')).toBe(false);
    expect(CLOCK_READ.test('new Date(toMs(at) + days * DAY_MS).toISOString()')).toBe(false);
    expect(CLOCK_READ.test("new Date('2024-01-01')")).toBe(false);
    expect(CLOCK_READ.test('Date.parse(value)')).toBe(false);
  });

  it('finds the domain modules', () => {
    expect(files).toEqual(expect.arrayContaining(['time.ts', 'money.ts', 'lifecycle.ts', 'customer.ts', 'cohort.ts']));
  });

  it.each(files)('%s imports no AWS SDK, CDK, Lambda, Powertools, fs or http module', (file) => {
    const source = readFileSync(join(DOMAIN_DIR, file), 'utf8');
    expect(importedModules(source).filter(isForbidden)).toEqual([]);
  });

  it.each(files)('%s never reads the clock (time is passed in)', (file) => {
    const source = stripComments(readFileSync(join(DOMAIN_DIR, file), 'utf8'));
    const offending = source.split('\n').filter((line) => CLOCK_READ.test(line));
    expect(offending).toEqual([]);
  });
});
