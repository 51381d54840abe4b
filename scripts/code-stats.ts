/**
 * Code health figures the architecture issue is measured by: `as` casts in non-test code (excluding `as const`),
 * the largest files, and handler sizes. `npx tsx scripts/code-stats.ts [--list]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const roots = ['shared', 'functions', 'infra', 'cli', 'bench', 'scripts'];
const files: string[] = [];
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(path);
  }
};
for (const root of roots) walk(root);

const list = process.argv.includes('--list');
let casts = 0;
const sizes: Array<[string, number]> = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  sizes.push([file, text.split('\n').length - (text.endsWith('\n') ? 1 : 0)]);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      const type = node.type.getText(source);
      if (type !== 'const') {
        casts += 1;
        if (list) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          console.log(`${file}:${line + 1}: as ${type}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
sizes.sort((a, b) => b[1] - a[1]);
console.log(`casts (non-test, excluding "as const"): ${casts}`);
console.log('largest files:');
for (const [file, lines] of sizes.slice(0, 8)) console.log(`  ${lines.toString().padStart(5)}  ${file}`);
console.log('handlers:');
for (const [file, lines] of sizes.filter(([f]) => f.startsWith('functions/')))
  console.log(`  ${lines.toString().padStart(5)}  ${file}`);
