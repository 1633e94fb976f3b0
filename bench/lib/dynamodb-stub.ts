/**
 * A zero-latency stand-in for DynamoDB on 127.0.0.1, for measuring a handler's own CPU
 * time. It answers the JSON protocol calls the intake makes: PutItem (stores), BatchGetItem
 * (answers from what is stored), TransactWriteItems (stores consents and idempotency records while recording,
 * otherwise answers {} and forgets). It runs in its own process so that its CPU time is
 * not counted as the handler's. Prints its port on stdout.
 */
import { createServer } from 'node:http';

type Item = Record<string, Record<string, unknown>>;
const items = new Map<string, Item>();
let recording = true;
const keyOf = (table: string, key: Item) => `${table}|${JSON.stringify(key.pk)}|${JSON.stringify(key.sk)}`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const target = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? req.url;
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    let out: unknown = {};
    switch (target) {
      case '/record':
        recording = true;
        break;
      case '/discard':
        recording = false;
        break;
      case 'PutItem':
        items.set(keyOf(body.TableName, body.Item), body.Item);
        break;
      case 'BatchGetItem': {
        const responses: Record<string, Item[]> = {};
        for (const [table, request] of Object.entries(
          body.RequestItems as Record<string, { Keys: Item[] }>,
        )) {
          responses[table] = request.Keys.map((k) => items.get(keyOf(table, k))).filter(
            (i) => i !== undefined,
          );
        }
        out = { Responses: responses, UnprocessedKeys: {} };
        break;
      }
      case 'TransactWriteItems':
        if (recording) {
          for (const t of body.TransactItems as { Put?: { TableName: string; Item: Item } }[]) {
            // Consents and idempotency records only: a stored open-referral guard would refuse the next referral.
            const pk = String(t.Put?.Item.pk?.S ?? '');
            if (t.Put && (pk.startsWith('CONSENT#') || pk.startsWith('IDEMPOTENCY#')))
              items.set(keyOf(t.Put.TableName, t.Put.Item), t.Put.Item);
          }
        }
        break;
      default:
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazon.coral.validate#ValidationException',
            message: `stub: ${target}`,
          }),
        );
        return;
    }
    const text = JSON.stringify(out);
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
