/** Builds the RabbitMQ usage sink from the settings and starts it, without waiting for the broker. */
import type { Settings } from "../config/settings";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { eventLimitsFrom, UsageEventEncoder } from "./event-encoding";
import { EventSpool } from "./event-spool";
import { RabbitUsageSink, type RabbitSinkTuning } from "./rabbit-usage-sink";

/**
 * Opens the spool (start-up fails, naming the directory, when it is not writable: events could
 * not be kept safe) and starts connecting in the background. A broker that is down at start-up
 * does not stop the service: events wait in the spool and health says `degraded`.
 */
export async function createRabbitSink(
  settings: Settings,
  logger: Logger,
  metrics?: Metrics,
  tuning: Partial<RabbitSinkTuning> = {},
): Promise<RabbitUsageSink> {
  if (!settings.rabbitmqUrl) throw new Error("RABBITMQ_URL is not set");
  const log = logger.child({ component: "usage-events" });
  const spool = await EventSpool.open(settings.eventsSpoolDir, log);
  const sink = new RabbitUsageSink({
    url: settings.rabbitmqUrl,
    exchange: settings.rabbitmqExchange,
    routingKey: settings.rabbitmqRoutingKey,
    spool,
    logger: log,
    metrics,
    encoder: new UsageEventEncoder(eventLimitsFrom(settings), log, metrics),
    tuning: { memoryQueueMax: settings.eventsMemoryQueueMax, batchSize: settings.eventsPublishBatchSize, ...tuning },
  });
  sink.start();
  return sink;
}
