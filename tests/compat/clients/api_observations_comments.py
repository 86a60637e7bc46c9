"""The generated API client (SDK 4.x or 5.x) on /v2/observations with a cursor, and on /comments."""

import json
import os

from langfuse import Langfuse

kwargs = {"tracing_enabled": False} if os.environ.get("SDK") == "4" else {}
client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
    **kwargs,
)
trace_id, project_id = os.environ["TRACE_ID"], os.environ["PROJECT_ID"]
seen, cursor, pages = [], None, 0
while True:
    page = client.api.observations.get_many(
        trace_id=trace_id, fields="core,basic,usage,model,io,metrics", limit=2, cursor=cursor
    )
    pages += 1
    seen.extend((o.type, o.name, o.total_cost) for o in page.data)
    cursor = page.meta.cursor
    if not cursor:
        break
created = client.api.comments.create(
    project_id=project_id, object_type="TRACE", object_id=trace_id, content="Looks slow. 遅い。"
)
comment = client.api.comments.get_by_id(created.id)
listed = client.api.comments.get(object_type="TRACE", object_id=trace_id)
print(
    json.dumps(
        {
            "observations": sorted(seen, key=str),
            "pages": pages,
            "comment": comment.content,
            "comments": len(listed.data),
            "total": listed.meta.total_items,
        }
    )
)
