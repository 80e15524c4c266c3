/**
 * One AMQP connection with a confirm channel to the usage exchange, kept up by this class:
 * amqplib by itself neither reconnects nor retries. After a drop it reconnects with capped
 * exponential backoff, declares the exchange again, and reports every publish as confirmed or
 * not, so that the caller can retry what was not. It never throws at its caller.
 */
import { connect, type ChannelModel, type ConfirmChannel } from "amqplib";
import type { Logger } from "../observability/logger";

export interface OutgoingMessage {
  /** The usage event's eventId: the AMQP message_id consumers deduplicate on. */
  id: string;
  body: Buffer;
  timestampMs: number;
}

/**
 * `confirmed`: the broker has taken responsibility for the message. Anything else means it may
 * not have: `nacked` (e.g. a queue full with `x-overflow: reject-publish`), `unroutable` (no
 * queue bound to take it), `refused` (the broker closed the channel over a publish, e.g. a message
 * above its `max_message_size`: see `lastRefusal`), `unsendable` (the client library cannot encode
 * it at all: see `unsendable`), `failed` (the connection or channel went away before the confirm).
 */
export type PublishOutcome = "confirmed" | "nacked" | "unroutable" | "refused" | "unsendable" | "failed";

export type LinkState = "connecting" | "connected" | "blocked" | "disconnected" | "closed";

export interface LinkStatus {
  state: LinkState;
  /** When the link entered this state (ms since epoch). */
  since: number;
  detail: string;
}

export interface AmqpConnectionOptions {
  url: string;
  exchange: string;
  routingKey: string;
  logger: Logger;
  /** Called on every change of state, so the publisher can resume or pause. */
  onChange?: () => void;
  reconnectInitialMs?: number;
  /** Cap of the reconnect backoff: the contract asks for an attempt at least every 10 s. */
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
  /** A broker that neither confirms nor closes within this long is treated as gone. */
  confirmTimeoutMs?: number;
  heartbeatSeconds?: number;
}

interface Session {
  model: ChannelModel;
  channel: ConfirmChannel | null;
  /** Resolves with the reason once the connection or its channel is unusable. */
  lost: Promise<Error>;
  /** Set at the first sign of loss, before the reconnect loop has caught up: publish no more. */
  dead: boolean;
  lose(reason: Error): void;
  /** Settlers of publishes awaiting their confirm; all fail when the session is lost. */
  outstanding: Set<(outcome: PublishOutcome) => void>;
  /** message_ids the broker returned as unroutable; the confirm that follows is not a delivery. */
  returned: Set<string>;
  blockedReason: string | null;
  /** Why the broker closed the channel (a channel error such as PRECONDITION_FAILED), if it did. */
  refusal: string | null;
}

const STILL_DOWN_LOG_INTERVAL_MS = 60_000;

export class AmqpConnection {
  private readonly url: string;
  private readonly where: string;
  private session: Session | null = null;
  private state: LinkState = "connecting";
  private since = Date.now();
  private lastError: string | null = null;
  /** When publishing last stopped being possible; null while connected. */
  private downSince: number | null = Date.now();
  private nextAttemptAt: number | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;
  private interruptSleep: (() => void) | null = null;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly connectTimeoutMs: number;
  private readonly confirmTimeoutMs: number;
  /** The broker's words the last time it closed the channel over a publish. */
  lastRefusal: string | null = null;
  /** Why each message reported `unsendable` could not be encoded, by message id; the caller deletes what it read. */
  readonly unsendable = new Map<string, string>();

  constructor(private readonly options: AmqpConnectionOptions) {
    this.initialMs = options.reconnectInitialMs ?? 500;
    this.maxMs = Math.min(options.reconnectMaxMs ?? 5_000, 10_000);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 30_000;
    const parsed = new URL(options.url);
    // A dead peer is noticed within two heartbeats rather than the broker's default minute.
    if (!parsed.searchParams.has("heartbeat")) parsed.searchParams.set("heartbeat", String(options.heartbeatSeconds ?? 10));
    this.url = parsed.toString();
    this.where = `${parsed.hostname}:${parsed.port || (parsed.protocol === "amqps:" ? 5671 : 5672)}${parsed.pathname.length > 1 ? parsed.pathname : ""}`;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** True while messages can be published: connected, channel open, not blocked by the broker. */
  get ready(): boolean {
    const session = this.session;
    return !this.closed && session !== null && !session.dead && session.channel !== null && session.blockedReason === null;
  }

  status(): LinkStatus {
    const base = { state: this.state, since: this.since };
    switch (this.state) {
      case "connected":
        return { ...base, detail: `connected to ${this.where}` };
      case "blocked":
        return { ...base, detail: `broker ${this.where} blocks publishing: ${this.session?.blockedReason}` };
      case "connecting":
        return { ...base, detail: `connecting to ${this.where}${this.lastError ? ` (last error: ${this.lastError})` : ""}` };
      case "disconnected": {
        const wait = this.nextAttemptAt ? Math.max(0, Math.ceil((this.nextAttemptAt - Date.now()) / 1000)) : 0;
        return {
          ...base,
          detail: `broker ${this.where} unreachable since ${new Date(this.downSince ?? this.since).toISOString()}: ${this.lastError}; next attempt in ${wait}s`,
        };
      }
      case "closed":
        return { ...base, detail: "closed" };
    }
  }

  /**
   * Publishes the messages (persistent, JSON, message_id, timestamp) and resolves with one
   * outcome per message once each is confirmed or known not to be. Never rejects.
   */
  publish(messages: readonly OutgoingMessage[]): Promise<PublishOutcome[]> {
    const session = this.session;
    const channel = session?.channel;
    if (!session || !channel || !this.ready) return Promise.resolve(messages.map(() => "failed"));
    const { exchange, routingKey } = this.options;
    const outcomes = messages.map(
      (message) =>
        new Promise<PublishOutcome>((resolve) => {
          let done = false;
          const settle = (outcome: PublishOutcome) => {
            if (done) return;
            done = true;
            session.outstanding.delete(settle);
            resolve(outcome);
          };
          if (session.dead) return settle("failed");
          session.outstanding.add(settle);
          try {
            channel.publish(
              exchange,
              routingKey,
              message.body,
              {
                persistent: true,
                contentType: "application/json",
                messageId: message.id,
                timestamp: Math.floor(message.timestampMs / 1000),
                appId: "completion-service",
                // Unroutable messages come back instead of vanishing: see `returned`.
                mandatory: true,
              },
              (err: unknown) => {
                if (err) settle(/nack/i.test(String((err as Error).message ?? err)) ? "nacked" : session.refusal ? "refused" : "failed");
                else settle(session.returned.delete(message.id) ? "unroutable" : "confirmed");
              },
            );
          } catch (e) {
            if (e instanceof TypeError || e instanceof RangeError) {
              // amqplib cannot encode this message (e.g. a message_id over 255 bytes, from a
              // damaged spool); nothing was sent and the channel is fine. It never will be sendable.
              this.unsendable.set(message.id, `the AMQP client cannot encode the message: ${e.message}`);
              return settle("unsendable");
            }
            // amqplib throws when the channel is already closed: this session is done.
            settle("failed");
            session.lose(asError(e));
          }
        }),
    );
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        timer = setTimeout(() => {
          // A blocked broker holds confirms back on purpose; waiting is the right thing then.
          if (session.blockedReason !== null) return arm();
          session.lose(new Error(`no publish confirm within ${this.confirmTimeoutMs / 1000}s`));
        }, this.confirmTimeoutMs);
      };
      arm();
      void Promise.all(outcomes).then((all) => {
        clearTimeout(timer);
        resolve(all);
      });
    });
  }

  /** Stops reconnecting and closes the connection; publishes still awaiting confirms fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.interruptSleep?.();
    this.session?.lose(new Error("closing"));
    // An attempt in flight to an unresponsive host is bounded by its own timeout; don't wait it out.
    await Promise.race([this.loop, Bun.sleep(2_000)]);
    this.setState("closed");
  }

  private async run(): Promise<void> {
    let failures = 0;
    let lastWarnAt = 0;
    while (!this.closed) {
      this.setState("connecting");
      let session: Session;
      try {
        session = await this.connectOnce();
      } catch (e) {
        this.lastError = describe(e);
        if (this.closed) break;
        const delay = this.backoff(failures++);
        this.nextAttemptAt = Date.now() + delay;
        this.setState("disconnected");
        const now = Date.now();
        if (failures === 1 || now - lastWarnAt >= STILL_DOWN_LOG_INTERVAL_MS) {
          lastWarnAt = now;
          this.options.logger.warn(failures === 1 ? "cannot connect to RabbitMQ; retrying" : "RabbitMQ still unreachable; retrying", {
            broker: this.where,
            error: this.lastError,
            retryInMs: delay,
          });
        } else {
          this.options.logger.debug("RabbitMQ connection attempt failed", { broker: this.where, error: this.lastError, retryInMs: delay });
        }
        await this.sleep(delay);
        continue;
      }
      if (this.closed) {
        await this.teardown(session);
        break;
      }
      failures = 0;
      this.lastError = null;
      this.nextAttemptAt = null;
      this.downSince = null;
      this.session = session;
      this.setState(session.blockedReason === null ? "connected" : "blocked");
      this.options.logger.info("connected to RabbitMQ", { broker: this.where, exchange: this.options.exchange });

      const reason = await session.lost;
      this.session = null;
      this.downSince = Date.now();
      await this.teardown(session);
      if (this.closed) break;
      this.lastError = reason.message;
      this.options.logger.warn("RabbitMQ connection lost; reconnecting", { broker: this.where, error: reason.message });
      // The first attempt after a drop is immediate: forced closes and restarts are often brief.
    }
    this.setState("closed");
  }

  private async connectOnce(): Promise<Session> {
    const model = await connect(this.url, {
      timeout: this.connectTimeoutMs,
      clientProperties: { connection_name: "completion-service usage events" },
    });
    let lose!: (reason: Error) => void;
    const lost = new Promise<Error>((resolve) => (lose = resolve));
    const session: Session = {
      model,
      channel: null,
      lost,
      dead: false,
      lose: (reason) => {
        session.dead = true;
        lose(reason);
        for (const settle of [...session.outstanding]) settle(session.refusal ? "refused" : "failed");
      },
      outstanding: new Set(),
      returned: new Set(),
      blockedReason: null,
      refusal: null,
    };
    // Without an 'error' listener, an error event (a broker killed mid-frame) crashes the process.
    model.on("error", (e: Error) => this.options.logger.warn("RabbitMQ connection error", { error: e.message }));
    model.on("close", (e?: Error) => session.lose(e ?? new Error("connection closed")));
    model.on("blocked", (reason: string) => {
      session.blockedReason = reason || "no reason given";
      this.options.logger.warn("RabbitMQ blocks publishing; usage events wait", { reason: session.blockedReason });
      if (this.session === session) this.setState("blocked");
    });
    model.on("unblocked", () => {
      session.blockedReason = null;
      this.options.logger.info("RabbitMQ unblocked publishing");
      if (this.session === session) this.setState("connected");
    });
    const failed = lost.then((reason) => Promise.reject(reason));
    failed.catch(() => {});
    const timer = setTimeout(
      () => session.lose(new Error(`channel setup took longer than ${this.connectTimeoutMs}ms`)),
      this.connectTimeoutMs,
    );
    try {
      const channel = await Promise.race([model.createConfirmChannel(), failed]);
      channel.on("error", (e: Error) => {
        // A channel error from the server (emitted before 'close') refuses what was in flight.
        if (session.channel !== null) {
          session.refusal = e.message;
          this.lastRefusal = e.message;
        }
        this.options.logger.warn("RabbitMQ channel error", { error: e.message });
      });
      channel.on("close", () => session.lose(new Error("channel closed")));
      channel.on("return", (message) => {
        const id = message.properties.messageId;
        if (id !== undefined && id !== null) session.returned.add(String(id));
      });
      await Promise.race([channel.assertExchange(this.options.exchange, "topic", { durable: true }), failed]);
      session.channel = channel;
    } catch (e) {
      session.lose(asError(e));
      await this.teardown(session);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return session;
  }

  private async teardown(session: Session): Promise<void> {
    session.lose(new Error("connection closed"));
    try {
      await Promise.race([Promise.resolve().then(() => session.model.close()), Bun.sleep(2_000)]);
    } catch {
      // Already closed: nothing to do.
    }
    // A broker that stopped answering never completes the close handshake; drop the socket.
    (session.model.connection as unknown as { stream?: { destroy?: () => void } }).stream?.destroy?.();
  }

  private backoff(failures: number): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** failures);
    // ±20% jitter so that many instances do not reconnect in lockstep, never above the cap.
    return Math.min(this.maxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.interruptSleep = done;
    }).finally(() => {
      this.interruptSleep = null;
    });
  }

  private setState(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = Date.now();
    this.options.onChange?.();
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function describe(e: unknown): string {
  const err = asError(e) as Error & { code?: string };
  return err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message || String(err.code);
}
