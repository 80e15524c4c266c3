/**
 * The consumer side of the usage exchange, as billing would see it: a durable queue bound to the
 * exchange, read with real AMQP deliveries (properties included).
 */
import { connect, type ConsumeMessage } from "amqplib";

export interface ReceivedEvent {
  body: Record<string, unknown>;
  properties: ConsumeMessage["properties"];
  routingKey: string;
  exchange: string;
}

/** Declares the exchange (as the sink does) and a durable queue bound to it; empties the queue. */
export async function bindUsageQueue(
  url: string,
  options: { exchange: string; routingKey: string; queue: string; queueArguments?: Record<string, unknown> },
): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.assertExchange(options.exchange, "topic", { durable: true });
    await channel.assertQueue(options.queue, { durable: true, arguments: options.queueArguments });
    await channel.purgeQueue(options.queue);
    await channel.bindQueue(options.queue, options.exchange, options.routingKey);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/**
 * Consumes (and acks) from the queue until `done(received)` holds or the timeout passes, and
 * returns what came. Duplicates are kept: at-least-once delivery may produce them.
 */
export async function consumeUsageEvents(
  url: string,
  queue: string,
  done: (received: ReceivedEvent[]) => boolean,
  timeoutMs = 15_000,
  options: { prefetch?: number; delayMs?: number } = {},
): Promise<ReceivedEvent[]> {
  const received: ReceivedEvent[] = [];
  const connection = await connect(url);
  connection.on("error", () => {});
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => {});
    if (options.prefetch) await channel.prefetch(options.prefetch);
    let finished = false;
    let finish!: () => void;
    const allDone = new Promise<void>((resolve) => (finish = resolve));
    await channel.consume(queue, (message) => {
      // After `done`, leave the rest unacked in the queue: the broker requeues them at close.
      if (!message || finished) return;
      const ack = () => {
        if (finished) return;
        received.push({
          body: JSON.parse(message.content.toString("utf8")),
          properties: message.properties,
          routingKey: message.fields.routingKey,
          exchange: message.fields.exchange,
        });
        channel.ack(message);
        if (done(received)) {
          finished = true;
          finish();
        }
      };
      if (options.delayMs) setTimeout(ack, options.delayMs);
      else ack();
    });
    if (!done(received)) await Promise.race([allDone, Bun.sleep(timeoutMs)]);
    finished = true;
    await channel.close().catch(() => {});
  } finally {
    await connection.close().catch(() => {});
  }
  return received;
}

export function idsOf(received: ReceivedEvent[]): string[] {
  return received.map((r) => String(r.body.eventId));
}

/** A `done` for consumeUsageEvents: every one of these eventIds has arrived (checked incrementally). */
export function untilAllOf(ids: Iterable<string>): (received: ReceivedEvent[]) => boolean {
  const missing = new Set(ids);
  let checked = 0;
  return (received) => {
    for (; checked < received.length; checked++) missing.delete(String(received[checked]!.body.eventId));
    return missing.size === 0;
  };
}
