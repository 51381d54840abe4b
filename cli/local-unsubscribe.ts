import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { TemplateBundle } from '../shared/email/templates/bundle.ts';
import { handleUnsubscribeRequest } from '../shared/jobs/unsubscribe.ts';
import type { CustomerRepository } from '../shared/ports.ts';
import type { LocalServer } from './local-servers.ts';

/** The unsubscribe secret of a local data directory (created once), or a fresh one for in-memory runs. */
export async function localUnsubscribeSecret(dataDir: string | undefined): Promise<string> {
  if (!dataDir) return randomBytes(32).toString('base64url');
  const path = join(dataDir, 'unsubscribe-secret');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, secret, { mode: 0o600 });
    return secret;
  }
}

async function readBody(req: IncomingMessage, limit = 4096): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) break;
  }
  return body;
}

/** The same unsubscribe handler as the Lambda function URL, on 127.0.0.1, so links in local emails work. */
export async function startLocalUnsubscribe(
  customers: CustomerRepository,
  secret: string,
  pages: TemplateBundle['pages'],
): Promise<LocalServer> {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const response = await handleUnsubscribeRequest(
        {
          method: req.method ?? 'GET',
          query: Object.fromEntries(url.searchParams),
          body: await readBody(req),
          acceptLanguage: req.headers['accept-language'],
        },
        { customers, secret, pages, now: new Date().toISOString() },
      );
      res.writeHead(response.status, response.headers).end(response.body);
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}/unsubscribe`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
