"""Container health check: GET /api/public/health on the local gunicorn; exit 0 only on 200 {"status": "OK"}.

Standard library only. The request carries a Host header taken from ALLOWED_HOSTS, so the check
passes when ALLOWED_HOSTS names only the public host (Django answers 400 to any other Host).
"""

import json
import os
import sys
import urllib.request

URL = os.environ.get("LANGOPS_HEALTHCHECK_URL", "http://127.0.0.1:3000/api/public/health")


def host_header() -> str:
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip()
        if entry and entry != "*":
            # ".example.com" allows example.com and its subdomains.
            return entry.lstrip(".")
    return "localhost"


def main() -> int:
    request = urllib.request.Request(URL, headers={"Host": host_header(), "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
    except Exception as exc:  # HTTPError (503, 400), connection refused, timeout, bad JSON
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if body.get("status") != "OK":
        print(f"unhealthy: {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
