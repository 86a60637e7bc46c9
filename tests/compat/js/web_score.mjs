// The legacy browser client (npm langfuse 3.x, LangfuseWeb): public key only, scores only.
import { LangfuseWeb } from "langfuse";

const web = new LangfuseWeb({ publicKey: process.env.LANGFUSE_PUBLIC_KEY, baseUrl: process.env.LANGFUSE_HOST });
const result = await web.score({ id: "web-score-1", traceId: process.env.TRACE_ID, name: "thumbs", value: 1, comment: "from the browser" });
await web.shutdownAsync();
console.log(JSON.stringify({ ok: true, result: result ?? null }));
