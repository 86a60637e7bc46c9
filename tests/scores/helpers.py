"""A project with scores of every kind and target, written through the ingestion writer."""

from tests.ingestion.helpers import event, iso
from tests.ingestion.helpers import store as store_events


def score(score_id: str, at: float, **body) -> dict:
    return event("score-create", {"id": score_id, "timestamp": iso(at), **body})


def seed(project_id: str) -> None:
    """Traces t1 (u1; a, b; session s1) and t2 (u2; a), and six scores, sc1 oldest to sc6 newest."""
    store_events(
        project_id,
        [
            event(
                "trace-create",
                {"id": "t1", "userId": "u1", "tags": ["a", "b"], "sessionId": "s1", "environment": "prod"},
            ),
            event("trace-create", {"id": "t2", "userId": "u2", "tags": ["a"]}),
            score(
                "sc1",
                0,
                traceId="t1",
                name="quality",
                value=0.9,
                environment="prod",
                comment="good",
                configId="cfg1",
                metadata={"user_id": "abc123", "team": "search"},
            ),
            score(
                "sc2",
                10,
                traceId="t1",
                observationId="o1",
                name="label",
                value="good",
                source="EVAL",
                metadata={"user_id": "xyz"},
            ),
            score(
                "sc3",
                20,
                traceId="t2",
                name="resolved",
                value=1,
                dataType="BOOLEAN",
                source="ANNOTATION",
                configId="cfg2",
                queueId="q1",
            ),
            score("sc4", 30, sessionId="s9", name="quality", value=0.2, environment="staging"),
            score("sc5", 40, datasetRunId="run1", name="note", value="free text", dataType="TEXT"),
            score("sc6", 50, traceId="t2", observationId="o2", name="fix", value="fixed", dataType="CORRECTION"),
        ],
    )


def get(client, key, path: str, **params):
    return client.get(f"/api/public{path}", params, HTTP_AUTHORIZATION=key.header)
