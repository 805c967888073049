/**
 * Security rules of `onnx-studio serve`: the access token, the Host and Origin checks, and the headers of
 * every response. The server binds 127.0.0.1 by default, but any web page the user visits can send requests
 * to a loopback port, so every request must carry the random token (in the path, so the page's relative URLs
 * carry it too) and, on loopback, name a loopback Host (which defeats DNS rebinding).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A fresh token: 24 random bytes, URL-safe base64 (32 characters). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison, so the token cannot be guessed character by character from response times. */
export function tokenMatches(candidate: string, token: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isLoopbackHost(host: string): boolean {
  return (
    host === '127.0.0.1' ||
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/**
 * Whether the request's Host header names this server. On a loopback bind only loopback names are accepted:
 * a DNS-rebinding page (attacker.example resolving to 127.0.0.1) sends its own name as Host and is refused
 * even before the token check. On other binds any Host is accepted (the machine's names are not known).
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (!isLoopbackHost(boundHost)) return true;
  if (!hostHeader) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
  if (!match) return false;
  const name = match[1]!;
  const hostPort = match[2] === undefined ? 80 : Number(match[2]);
  return isLoopbackHost(name) && hostPort === port;
}

/** Browsers send Origin on WebSocket upgrades: only pages from this very server may connect. */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true; // not a browser (e.g. the `ws` client in tests and scripts)
  return (
    hostHeader !== undefined && (origin === `http://${hostHeader}` || origin === `https://${hostHeader}`)
  );
}

/**
 * The page's Content-Security-Policy: scripts only from the server itself plus WebAssembly compilation
 * (onnxruntime-web), the WebSocket to this host, workers from the server or blob: URLs (onnxruntime-web's
 * proxy worker), no framing, no plugins.
 */
export function contentSecurityPolicy(hostHeader: string | undefined): string {
  const ws = hostHeader ? ` ws://${hostHeader} wss://${hostHeader}` : '';
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' blob: data:${ws}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every response. */
export function setCommonHeaders(res: ServerResponse, req: IncomingMessage): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // The token is in the URL: never send it to another site in a Referer header.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
  // Cross-origin isolation gives the page SharedArrayBuffer, which multi-threaded onnxruntime-web WASM needs;
  // everything the page loads comes from this server, so requiring CORP costs nothing.
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}
