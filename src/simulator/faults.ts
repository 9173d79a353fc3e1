import type { IncomingMessage, ServerResponse } from 'node:http';
import { seededRandom } from './dataset';

/**
 * The ways a real API fails, injected at a rate so tests can check that an export survives them. `FAULT_KINDS`
 * are the passing ones drawn by default; `refused-student` is a 400 whose body names a student, as a real server's
 * refusal may quote the record it refused (placed with `kinds`, it fails the resource).
 */
export type FaultKind = '500' | '502' | '503' | 'reset' | 'hang' | 'truncated' | 'html' | 'refused-student';
export const FAULT_KINDS: FaultKind[] = ['500', '502', '503', 'reset', 'hang', 'truncated', 'html'];

/** The student the `refused-student` fault names, and its body (Canvas's error format). */
export const REFUSED_STUDENT = { name: 'Ava Garcia', sortableName: 'Garcia, Ava', email: 'ava.garcia1@students.example.edu', sisId: '20231187' };
const REFUSED_STUDENT_BODY = JSON.stringify({
  errors: [{ message: `Student ${REFUSED_STUDENT.name} (${REFUSED_STUDENT.email}, SIS ${REFUSED_STUDENT.sisId}; listed as "${REFUSED_STUDENT.sortableName}") is not enrolled in this course` }],
});

export interface FaultOptions {
  /** Share of API requests that fail, 0–1. */
  rate: number;
  kinds?: FaultKind[];
  seed?: number;
  /** Let this many requests through untouched first (a source that fails partway through a run). */
  afterRequests?: number;
  /** Fail exactly the requests with these numbers (counted from 1), whatever `rate` says: a fault a test can place. */
  atRequests?: number[];
}

export class FaultInjector {
  private readonly random: () => number;
  readonly injected: Partial<Record<FaultKind, number>> = {};
  private draws = 0;

  constructor(private readonly options: FaultOptions) {
    this.random = seededRandom(options.seed ?? 7);
  }

  /** Picks this request's fault, or none. */
  draw(): FaultKind | undefined {
    this.draws += 1;
    if (this.draws <= (this.options.afterRequests ?? 0)) return undefined;
    const placed = this.options.atRequests;
    if (placed !== undefined ? !placed.includes(this.draws) : this.random() >= this.options.rate) return undefined;
    const kinds = this.options.kinds ?? FAULT_KINDS;
    const kind = kinds[Math.floor(this.random() * kinds.length)] as FaultKind;
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
    return kind;
  }
}

/** Answers (or fails to answer) a request the way the fault says. */
export function inflict(kind: FaultKind, req: IncomingMessage, res: ServerResponse): void {
  switch (kind) {
    case '500':
      res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"errors":[{"message":"An error occurred."}]}');
      return;
    case '502':
      res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    case '503':
      res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html><body>Service Unavailable: maintenance</body></html>');
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
      return; // never answers; the client's timeout must give up, and stop() closes the socket
    case 'truncated': {
      const cut = '[{"id":1,"name":"Ava Garc';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(cut) }).end(cut);
      return;
    }
    case 'refused-student':
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(REFUSED_STUDENT_BODY);
      return;
    case 'html':
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body>We will be back soon.</body></html>');
      return;
  }
}
