import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate (mTLS), as PEM files. */
export interface TestCertificates {
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Made with openssl in a fresh folder: nothing outside the test trusts them. */
export function generateCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'lms-tls-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=lms-export test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem'], dir);
  const signed = (name: string, subject: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  };
  signed('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed('client', '/CN=lms-export worker', 'extendedKeyUsage=clientAuth\n');
  return {
    caPath: join(dir, 'ca.pem'),
    serverCertPath: join(dir, 'server.pem'),
    serverKeyPath: join(dir, 'server-key.pem'),
    clientCertPath: join(dir, 'client.pem'),
    clientKeyPath: join(dir, 'client-key.pem'),
  };
}

export interface TlsProxy {
  address: string;
  /** Connections whose TLS handshake completed with a client certificate the CA signed. */
  authorizedConnections: number;
  /** Connections refused during the handshake (no certificate, another CA). */
  refusedConnections: number;
  close(): Promise<void>;
}

/**
 * A TLS-terminating proxy on 127.0.0.1 in front of a plain-text gRPC server (the dev server has no TLS): it
 * speaks HTTP/2 over TLS (ALPN h2), requires a client certificate of the CA, and pipes the bytes on.
 */
export async function startTlsProxy(target: string, certs: TestCertificates): Promise<TlsProxy> {
  const [host, port] = target.split(':');
  const sockets = new Set<TLSSocket>();
  const proxy: TlsProxy = { address: '', authorizedConnections: 0, refusedConnections: 0, close: async () => undefined };
  const server = createServer(
    {
      cert: readFileSync(certs.serverCertPath),
      key: readFileSync(certs.serverKeyPath),
      ca: readFileSync(certs.caPath),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      proxy.authorizedConnections += 1;
      sockets.add(socket);
      const upstream = connect(Number(port), host === 'localhost' ? '127.0.0.1' : host);
      socket.pipe(upstream).pipe(socket);
      const end = () => (socket.destroy(), upstream.destroy(), sockets.delete(socket));
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => (proxy.refusedConnections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
