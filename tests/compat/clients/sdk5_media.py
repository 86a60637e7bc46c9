"""Langfuse Python SDK 5.x uploading media referenced from an observation (runs in .venvs/langfuse5)."""

import json
import os

from langfuse import Langfuse
from langfuse.media import LangfuseMedia

client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
)
content = bytes(range(256)) * 64
media = LangfuseMedia(content_bytes=content, content_type="image/png")
with client.start_as_current_observation(name="with-media", as_type="span", input={"image": media}) as span:
    span.update(output="described")
    trace_id = span.trace_id
client.flush()
client.shutdown()
print(json.dumps({"trace_id": trace_id, "media_id": media._media_id, "size": len(content)}))
