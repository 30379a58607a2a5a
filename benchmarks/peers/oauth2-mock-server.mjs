// oauth2-mock-server (npm) on loopback with one ES256 signing key, for
// benchmarks/bench_served.py: `node benchmarks/peers/oauth2-mock-server.mjs PORT`.
// It prints "ready <issuer>" once it listens and stops on SIGTERM or SIGINT.
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.argv[2] ?? 0);
const server = new OAuth2Server();
await server.issuer.keys.generate('ES256');
await server.start(port, '127.0.0.1');
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
console.log(`ready ${server.issuer.url}`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.stop().then(() => process.exit(0)));
}
