import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Runs a bench server as a child of the harness: listens on a free port of
 * 127.0.0.1 and tells the parent which, answers `{ type: 'counters' }`
 * with `counters`, and stops when the parent goes away.
 */
export function serveAsChild(server: http.Server, counters: object): void {
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'counters') process.send!({ counters });
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
