// The Vercel AI SDK 5 (`ai`) with its telemetry on, exported by @langfuse/otel as Langfuse's
// integration guide sets it up. The model is the SDK's own mock (ai/test): no network; its answer
// carries the usage and OpenAI provider metadata a real OpenAI call returns.
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { generateText } from "ai";
import { MockLanguageModelV2 } from "ai/test";

const processor = new LangfuseSpanProcessor({
  publicKey: process.env.LANGFUSE_PUBLIC_KEY,
  secretKey: process.env.LANGFUSE_SECRET_KEY,
  baseUrl: process.env.LANGFUSE_HOST,
});
const provider = new NodeTracerProvider({ spanProcessors: [processor] });
provider.register();

const model = new MockLanguageModelV2({
  provider: "openai.chat",
  modelId: "gpt-4o",
  doGenerate: async () => ({
    content: [{ type: "text", text: "Tokyo" }],
    finishReason: "stop",
    usage: { inputTokens: 1000, outputTokens: 300, totalTokens: 1300, cachedInputTokens: 800, reasoningTokens: 100 },
    providerMetadata: { openai: { cachedPromptTokens: 800, reasoningTokens: 100, acceptedPredictionTokens: 4 } },
    warnings: [],
  }),
});

const result = await generateText({
  model,
  prompt: "What is the capital of Japan?",
  temperature: 0.3,
  maxRetries: 1,
  experimental_telemetry: {
    isEnabled: true,
    functionId: "capital-quiz",
    metadata: { userId: "u-ai", sessionId: "s-ai", tags: ["quiz"], team: "geo" },
  },
});
await processor.forceFlush();
await provider.shutdown();
console.log(JSON.stringify({ text: result.text }));
