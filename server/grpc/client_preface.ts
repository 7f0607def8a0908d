/**
 * A gRPC connection reaches node:http2 only once its client has sent the HTTP/2 connection preface
 * (RFC 9113 §3.4). Deno 2.7.14's `node:http2` keeps about 30 KB of every session it makes for the
 * life of the process (closed_sessions.ts), and it makes one the moment it is handed a connection:
 * a TCP health check, a port scan or a client of another protocol, which never sends the preface,
 * cost the manager that much each (12,000 that connected and closed at once: +430 MB).
 */
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import { keptBytes } from "../received_bytes.ts";

/** What every HTTP/2 client sends first, over TLS or not (RFC 9113 §3.4). */
export const CLIENT_PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/**
 * Whether `bytes`, the first a client sent, begin with the preface: `"whole"` once all of it is
 * there, `"so far"` while what came matches its start, `"other"` at the first byte that differs.
 */
export function prefaceSoFar(bytes: Uint8Array): "whole" | "so far" | "other" {
  const n = Math.min(bytes.length, CLIENT_PREFACE.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== CLIENT_PREFACE[i]) return "other";
  }
  return n === CLIENT_PREFACE.length ? "whole" : "so far";
}

/**
 * Calls `handOver` once `socket`'s client has sent the connection preface, with what it sent put
 * back at the front of the socket, which flows again after `handOver` (whose listeners read it
 * then, the preface first). The socket is destroyed instead when its client sends anything else,
 * ends or fails first, or sends no preface within `ms` (the sooner of CONNECTION_IDLE_MS and
 * TLS_HANDSHAKE_MS: a client sends it as it connects).
 */
export function afterClientPreface(socket: Duplex, ms: number, handOver: () => void): void {
  const chunks: Uint8Array[] = [];
  const timer = setTimeout(() => socket.destroy(), ms);
  const stop = () => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("close", stop);
  };
  const onData = (chunk: Uint8Array) => {
    // A preface sent a byte at a time is 24 chunks, each maybe a view into a larger buffer.
    chunks.push(keptBytes(chunk));
    const sent = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const seen = prefaceSoFar(sent);
    if (seen === "so far") return;
    stop();
    if (seen === "other") {
      socket.destroy();
      return;
    }
    // Paused, the bytes put back wait for `handOver`'s listeners, and `resume` is sure to flow
    // them (a stream already flowing leaves that to its internals).
    socket.pause();
    socket.unshift(sent);
    handOver();
    socket.resume();
  };
  socket.on("data", onData);
  socket.once("close", stop);
}
