/**
 * A TCP proxy in front of a real LDAP server that can stop one group change at an exact point,
 * for tests that kill a worker in the middle of a directory write. It reads the LDAP messages
 * (BER: `SEQUENCE { messageID, protocolOp, … }`) going each way and, when armed, holds the next
 * ModifyRequest either
 *
 * - `before-server`: the request never reaches the server (the change is not made), or
 * - `after-server`: the server makes the change and answers; the answer never reaches the client.
 *
 * Either way the client is left waiting on an open connection, as it would be on a network that
 * lost a packet, and the promise {@link LdapProxy.holdNextModify} returns resolves at that moment.
 * Everything else (binds, searches, other connections) passes through untouched.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type HoldPoint = 'before-server' | 'after-server';

export interface LdapProxy {
  /** ldap://127.0.0.1:<port> */
  url: string;
  /**
   * Arms the proxy for the next ModifyRequest; resolves once it is held at `point` (for
   * `after-server`: once the server's answer has arrived and been kept back).
   */
  holdNextModify(point: HoldPoint): Promise<void>;
  /** ModifyRequests that passed through to the server so far. */
  modifiesForwarded(): number;
  stop(): Promise<void>;
}

const MODIFY_REQUEST = 0x66;
const MODIFY_RESPONSE = 0x67;

/** Length of the first complete BER element in `buf` (tag, length, content), or null if incomplete. */
function berElementLength(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  const first = buf[1]!;
  if (first < 0x80) return buf.length >= 2 + first ? 2 + first : null;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4) throw new Error(`unsupported BER length form 0x${first.toString(16)}`);
  if (buf.length < 2 + octets) return null;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + buf[2 + i]!;
  const total = 2 + octets + length;
  return buf.length >= total ? total : null;
}

/** The protocolOp tag of one LDAPMessage: the element after the messageID INTEGER. */
function protocolOp(message: Buffer): number {
  const header = message[1]! < 0x80 ? 2 : 2 + (message[1]! & 0x7f);
  const body = message.subarray(header);
  const idLength = berElementLength(body);
  if (idLength === null) throw new Error('truncated LDAP message');
  return body[idLength]!;
}

/** Splits a byte stream into LDAP messages and hands each to `onMessage`, in order. */
function messageReader(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const length = berElementLength(pending);
      if (length === null) return;
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

/** Starts the proxy for the LDAP server at `target` (an `ldap://host:port` URL). */
export async function startLdapProxy(target: string): Promise<LdapProxy> {
  const { hostname, port } = new URL(target);
  let armed: { point: HoldPoint; held: () => void } | null = null;
  let forwarded = 0;
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect({ host: hostname, port: Number(port) });
    sockets.add(client).add(upstream);
    /** This connection's change is held: nothing more goes to the client, nor (before the server) to the server. */
    let frozen: HoldPoint | null = null;
    let awaitingAnswer: (() => void) | null = null;

    client.on(
      'data',
      messageReader((message) => {
        if (frozen === 'before-server') return;
        if (protocolOp(message) === MODIFY_REQUEST && armed) {
          const { point, held } = armed;
          armed = null;
          if (point === 'before-server') {
            frozen = 'before-server';
            held();
            return;
          }
          awaitingAnswer = held;
        }
        if (protocolOp(message) === MODIFY_REQUEST) forwarded += 1;
        upstream.write(message);
      }),
    );
    upstream.on(
      'data',
      messageReader((message) => {
        if (frozen === 'after-server') return;
        if (awaitingAnswer && protocolOp(message) === MODIFY_RESPONSE) {
          frozen = 'after-server';
          const held = awaitingAnswer;
          awaitingAnswer = null;
          held();
          return;
        }
        client.write(message);
      }),
    );
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;

  return {
    url: `ldap://127.0.0.1:${address.port}`,
    holdNextModify(point) {
      if (armed) throw new Error('the proxy is already holding out for a modify');
      return new Promise<void>((resolve) => (armed = { point, held: resolve }));
    },
    modifiesForwarded: () => forwarded,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
