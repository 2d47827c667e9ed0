/**
 * A real HTTP receiver for journey events: a node http server that verifies every delivery with
 * the `standardwebhooks` library (signature, timestamp tolerance) and counts what arrives. A
 * receiver de-duplicates on `webhook-id`; this one keeps every delivery so tests can count both.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** The body exactly as it arrived. */
  body: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every verified delivery, duplicates included, in arrival order. */
  deliveries: ReceivedEvent[];
  /** Deliveries whose signature or timestamp did not verify (answered 401). */
  refused: { headers: Record<string, string>; error: string }[];
  /** The next `n` verified deliveries are recorded but never answered (a receiver that hangs). */
  hangNext(n: number): void;
  /** Verified deliveries about one journey (`data.requestId` / `data.workflowId`). */
  of(workflowId: string): ReceivedEvent[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const deliveries: ReceivedEvent[] = [];
  const refused: WebhookReceiver['refused'] = [];
  const hung: ServerResponse[] = [];
  let hang = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let payload: { type: string; timestamp: string; data: Record<string, unknown> };
      try {
        payload = verifier.verify(body, headers) as typeof payload;
      } catch (err) {
        refused.push({ headers, error: err instanceof Error ? err.message : String(err) });
        res.writeHead(401).end();
        return;
      }
      deliveries.push({ id: headers['webhook-id']!, ...payload, body, receivedAt: Date.now() });
      if (hang > 0) {
        hang -= 1;
        hung.push(res);
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/journeys`,
    deliveries,
    refused,
    hangNext: (n) => (hang = n),
    of: (workflowId) => deliveries.filter((d) => d.data.requestId === workflowId || d.data.workflowId === workflowId),
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
