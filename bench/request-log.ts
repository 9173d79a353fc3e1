import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

/** One API request as the simulator received it: path and query, and when. */
export interface LoggedRequest {
  url: string;
  at: number;
}

type Listener = (request: LoggedRequest, log: RequestLog) => void;

/**
 * Every request an in-process simulator receives, with its query (the simulator's own stats count paths only),
 * read from Node's `http.server.request.start` diagnostics channel so the simulator needs no hook of its own.
 * Only requests to the simulator's port count; its `/_sim/` control endpoints do not.
 */
export class RequestLog {
  readonly requests: LoggedRequest[] = [];
  private readonly listeners: Listener[] = [];
  private readonly onStart = (message: unknown): void => {
    const request = (message as { request: IncomingMessage }).request;
    if (request.socket.localPort !== this.port || request.url === undefined || request.url.startsWith('/_sim/')) return;
    const entry = { url: request.url, at: Date.now() };
    this.requests.push(entry);
    for (const listener of this.listeners) listener(entry, this);
  };

  constructor(private readonly port: number) {
    subscribe('http.server.request.start', this.onStart);
  }

  static of(simulatorUrl: string): RequestLog {
    return new RequestLog(Number(new URL(simulatorUrl).port));
  }

  /** Called, synchronously, as each request arrives (before the simulator answers it). */
  onRequest(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Requests per distinct URL (path and query), in order of first request. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { url } of this.requests) counts.set(url, (counts.get(url) ?? 0) + 1);
    return counts;
  }

  /** Distinct URLs requested more than once, and the requests beyond each URL's first. */
  repeats(): { urls: number; extraRequests: number } {
    let urls = 0;
    let extraRequests = 0;
    for (const count of this.counts().values()) {
      if (count > 1) urls += 1;
      extraRequests += count - 1;
    }
    return { urls, extraRequests };
  }

  close(): void {
    unsubscribe('http.server.request.start', this.onStart);
  }
}
