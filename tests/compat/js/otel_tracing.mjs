// Server-side JS v5: @langfuse/otel span processor + @langfuse/tracing (OTLP JSON, chunked).
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { propagateAttributes, startActiveObservation, startObservation } from "@langfuse/tracing";

const processor = new LangfuseSpanProcessor({
  publicKey: process.env.LANGFUSE_PUBLIC_KEY,
  secretKey: process.env.LANGFUSE_SECRET_KEY,
  baseUrl: process.env.LANGFUSE_HOST,
  environment: "js-env",
});
const provider = new NodeTracerProvider({ spanProcessors: [processor] });
provider.register();

let ids = {};
await propagateAttributes({ traceName: "js-trace", userId: "u-js", sessionId: "s-js", tags: ["js"], metadata: { team: "web" } }, async () =>
  startActiveObservation("js-root", async (root) => {
    root.update({ input: { q: "hi" }, output: { a: "hello" } });
    const generation = startObservation("js-llm", {
      model: "gpt-4o", input: [{ role: "user", content: "hi" }], output: "hello",
      usageDetails: { input: 3, output: 5 },
      metadata: { step: "answer", attempt: 2 },
    }, { asType: "generation" });
    generation.end();
    ids = { traceId: root.traceId, rootId: root.id, generationId: generation.id };
  }),
);
await processor.forceFlush();
await provider.shutdown();
console.log(JSON.stringify(ids));
