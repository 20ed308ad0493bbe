// The reference for the benchmark: bare node:http answering the same JSON body with the same
// Content-Type as sample-service's GET / (README.md, "Performance"). Plain JS run
// by the same Node binary as the service's bundle.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import process from 'node:process';

const body = Buffer.from(JSON.stringify({ message: 'Hello, World!' }));
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('{"msg":"listening"}\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
