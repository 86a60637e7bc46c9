"""The connection doctor: plain-language reasons why a project receives nothing (or less than sent)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Finding:
    level: str  # "ok" | "info" | "warning" | "error"
    title: str
    detail: str = ""


def diagnose(summary: dict, *, keys_by_id: dict[str, str], pending: int) -> list[Finding]:
    """Findings from an ingestion summary (see health.project_summary), most serious first."""
    counts = summary["by_outcome"]
    findings: list[Finding] = []
    host = settings.LANGOPS_PUBLIC_URL

    def keys_with(outcome: str) -> str:
        names = [keys_by_id.get(k, k) for k, c in summary["by_key"].items() if c.get(outcome) and k]
        return ", ".join(sorted(names)) or "?"

    if not any(counts.values()) and not pending:
        findings.append(
            Finding(
                "error",
                _("Nothing has reached this project in the last 24 hours."),
                _(
                    "Check that the application uses LANGFUSE_HOST=%(host)s (no /api/public suffix) with a key pair of "
                    "this project, and that it can reach this address. In Dify, open Monitoring → Tracing → Langfuse and "
                    "save the host and keys again: Dify checks them when saving."
                )
                % {"host": host},
            )
        )
    if counts["auth_failed"]:
        findings.append(
            Finding(
                "error",
                ngettext(
                    "%(n)s request used a public key of this project with the wrong secret key.",
                    "%(n)s requests used a public key of this project with the wrong secret key.",
                    counts["auth_failed"],
                )
                % {"n": counts["auth_failed"]},
                _("Keys: %(keys)s. Copy the secret key again, or create a new key pair.")
                % {"keys": keys_with("auth_failed")},
            )
        )
    if counts["revoked_key"]:
        findings.append(
            Finding(
                "error",
                ngettext(
                    "%(n)s request used a revoked key.",
                    "%(n)s requests used a revoked key.",
                    counts["revoked_key"],
                )
                % {"n": counts["revoked_key"]},
                _("Keys: %(keys)s. Create a new key pair and update the application.")
                % {"keys": keys_with("revoked_key")},
            )
        )
    if counts["wrong_path"]:
        paths = sorted({r.path for r in summary["rejections"] if r.outcome == "wrong_path"})[:3]
        findings.append(
            Finding(
                "error",
                ngettext(
                    "%(n)s request with a valid key went to a path that does not exist.",
                    "%(n)s requests with a valid key went to a path that does not exist.",
                    counts["wrong_path"],
                )
                % {"n": counts["wrong_path"]},
                _("For example %(paths)s. Set the host to %(host)s without any path.")
                % {"paths": ", ".join(paths) or "?", "host": host},
            )
        )
    if counts["rate_limited"]:
        findings.append(
            Finding(
                "warning",
                ngettext(
                    "%(n)s request was rate limited.",
                    "%(n)s requests were rate limited.",
                    counts["rate_limited"],
                )
                % {"n": counts["rate_limited"]},
                _("The SDKs retry after the Retry-After delay; raise the limit if this persists."),
            )
        )
    if counts["oversize"]:
        findings.append(
            Finding(
                "warning",
                ngettext(
                    "%(n)s request was larger than the size limit.",
                    "%(n)s requests were larger than the size limit.",
                    counts["oversize"],
                )
                % {"n": counts["oversize"]},
                _("Send smaller batches (the SDKs' flush_at setting), or truncate large inputs."),
            )
        )
    if counts["rejected"]:
        top = "; ".join(f"{r['reason']} ({r['n']})" for r in summary["reasons"] if r["outcome"] == "rejected")[:400]
        findings.append(
            Finding(
                "warning",
                ngettext(
                    "%(n)s event was rejected.",
                    "%(n)s events were rejected.",
                    counts["rejected"],
                )
                % {"n": counts["rejected"]},
                _("Most frequent reasons: %(reasons)s") % {"reasons": top},
            )
        )
    lag: timedelta | None = summary["lag"]
    if pending:
        slow = lag is not None and lag.total_seconds() > settings.HEALTH_MAX_PIPELINE_LAG_SECONDS
        findings.append(
            Finding(
                "error" if slow else "info",
                ngettext(
                    "%(n)s event was received and is still being processed.",
                    "%(n)s events were received and are still being processed.",
                    pending,
                )
                % {"n": pending},
                _("The oldest has waited %(s)s seconds. Background workers add token counts and costs.")
                % {"s": int(lag.total_seconds()) if lag else 0},
            )
        )
    if counts["accepted"] and not any(f.level == "error" for f in findings):
        findings.append(
            Finding(
                "ok",
                ngettext(
                    "%(n)s event arrived in the last 24 hours.",
                    "%(n)s events arrived in the last 24 hours.",
                    counts["accepted"],
                )
                % {"n": counts["accepted"]},
            )
        )
    order = {"error": 0, "warning": 1, "info": 2, "ok": 3}
    return sorted(findings, key=lambda f: order[f.level])
