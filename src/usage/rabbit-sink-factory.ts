import type { Settings } from "../config/settings";
import type { Logger } from "../observability/logger";
import type { UsageSink } from "./usage-event";

export async function createRabbitSink(_settings: Settings, _logger: Logger): Promise<UsageSink> {
  throw new Error("RABBITMQ_URL is set but the RabbitMQ sink is not available in this build yet");
}
