"""schemathesis hooks for scripts/fuzz-api.sh: a fresh Idempotency-Key on every POST (one key for
every request would make all but the first a replay, so the money path would barely be reached),
and a line per answer in $FUZZ_ANSWERS so the script can say how often creation was reached."""

import os
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, **kwargs):
    if case.method.upper() == "POST":
        headers = dict(case.headers or {})
        headers["Idempotency-Key"] = uuid.uuid4().hex
        case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    path = os.environ.get("FUZZ_ANSWERS")
    if path:
        with open(path, "a", encoding="utf-8") as answers:
            answers.write(f"{case.method.upper()} {case.path} {response.status_code}\n")
