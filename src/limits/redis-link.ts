/**
 * The limits' connection to Redis (Bun's built-in client): Lua scripts run by EVALSHA (EVAL once
 * after a Redis restart forgot them), each within a time bound, and whether Redis is reachable,
 * with one log line and one metric change per change of that state, not one per request.
 *
 * Bun's client gives up reconnecting after a few tries; this one connects again itself, on the
 * next request at most every `reconnectIntervalMs`, so a Redis back after an hour is used again.
 * Commands are never queued while disconnected: they fail at once and the failure mode decides.
 */
import { RedisClient } from "bun";
import type { Logger } from "../observability/logger";

export class RedisUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisUnavailable";
  }
}

export interface RedisLinkOptions {
  url: string;
  /** Longest wait for one script's answer. */
  timeoutMs: number;
  logger: Logger;
  /** What happens to requests while Redis is away, for the log line. */
  whenDown: string;
  /** Called once per change of reachability. */
  onStateChange?(up: boolean): void;
  reconnectIntervalMs?: number;
}

export class RedisScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }
}

export class RedisLink {
  private client: RedisClient;
  private connecting: Promise<void> | null = null;
  private lastConnectAttempt = 0;
  /** null until the first answer or failure. */
  private up: boolean | null = null;
  private downSince: string | null = null;
  private lastError: string | null = null;
  private closed = false;

  constructor(private readonly options: RedisLinkOptions) {
    this.client = new RedisClient(options.url, {
      enableOfflineQueue: false,
      autoReconnect: false,
      connectionTimeout: Math.max(options.timeoutMs, 1000),
    });
    this.connect().catch(() => {});
  }

  /** Runs a script; throws RedisUnavailable when Redis cannot answer in time. */
  async run(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    if (this.closed) throw new RedisUnavailable("closed");
    try {
      const answer = await this.bounded(this.evaluate(script, keys, args.map(String)));
      this.setUp(true, null);
      return answer;
    } catch (e) {
      const message = (e as Error).message;
      if (
        !(e instanceof RedisUnavailable) &&
        (e as { code?: string }).code === "ERR_REDIS_SERVER_ERROR" &&
        !/LOADING|BUSY|MASTERDOWN|READONLY/.test(message)
      ) {
        throw e; // a script error is a bug of ours, not an outage
      }
      this.setUp(false, message);
      throw e instanceof RedisUnavailable ? e : new RedisUnavailable(message);
    }
  }

  private async evaluate(script: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    if (!this.client.connected) await this.connect();
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.client.send("EVALSHA", [script.sha, ...tail]);
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error).message)) throw e;
      return this.client.send("EVAL", [script.source, ...tail]);
    }
  }

  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    const wait = (this.options.reconnectIntervalMs ?? 500) - (Date.now() - this.lastConnectAttempt);
    if (this.lastConnectAttempt && wait > 0) return Promise.reject(new RedisUnavailable(this.lastError ?? "not connected"));
    this.lastConnectAttempt = Date.now();
    this.connecting = this.client.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private bounded<R>(work: Promise<R>): Promise<R> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailable(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    work.catch(() => {}); // settled after the timeout: nobody waits for it
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private setUp(up: boolean, error: string | null): void {
    if (error) this.lastError = error;
    if (this.up === up) return;
    const before = this.up;
    this.up = up;
    if (up) {
      this.downSince = null;
      if (before === false) this.options.logger.info("rate limits: Redis reachable again; limits are checked again");
      else this.options.logger.info("rate limits: connected to Redis");
    } else {
      this.downSince = new Date().toISOString();
      this.options.logger.warn(`rate limits: Redis unreachable; ${this.options.whenDown}`, { error });
    }
    this.options.onStateChange?.(up);
  }

  /** Reachability for health: unknown until the first script ran. */
  state(): { redis: "up" | "down" | "unknown"; since?: string; lastError?: string } {
    if (this.up === null) return { redis: "unknown" };
    if (this.up) return { redis: "up" };
    return { redis: "down", since: this.downSince!, lastError: this.lastError ?? undefined };
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}
