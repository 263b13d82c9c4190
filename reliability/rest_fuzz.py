"""REST fuzzing: schemathesis generates requests for every operation of the OpenAPI spec, valid ones and invalid
ones, sent to a live `yibao serve` as an administrator. Counted as failures: an HTTP 5xx, "系统内部错误" anywhere in
an answer, a refused request (HTTP 4xx, or the gateway's infcode -1) after which the database differs."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from reliability.common import PATH, Figures, Live, World, fingerprint, staff_token


def _refused(path: str, response: Any) -> bool:
    if response.status_code >= 400:
        return True
    if path == PATH:
        try:
            return bool(response.json().get("infcode") != 0)
        except ValueError:
            return True
    return False


def run(world: World, examples: int) -> Figures:
    figures = Figures("REST fuzz (schemathesis)", world.backend)
    live = Live(world).start()
    try:
        token = [staff_token(live.base)]
        schema = schemathesis.openapi.from_url(f"{live.base}/openapi.json")
        state = {"print": fingerprint(world.engine)}
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                figures.fail(f"an operation of the OpenAPI spec does not load: {result}")
                continue
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, mode, examples, live, token, state, figures, world)
        figures.add("server tracebacks", live.tracebacks())
        if live.tracebacks():
            figures.fail(f"the server logged {live.tracebacks()} tracebacks (see {live.log})")
    finally:
        live.stop()
    return figures


def _fuzz(operation: Any, mode: GenerationMode, examples: int, live: Live, token: list[str], state: dict[str, Any],
          figures: Figures, world: World) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # an operation that has no invalid form (nothing to negate)
        return

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              derandomize=True)
    @given(strategy)
    def one(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token[0]}"}, timeout=60)
        label = f"{case.method} {case.formatted_path} ({mode.value})"
        figures.answered(label, response.status_code, response.text)
        after = fingerprint(world.engine)
        if _refused(operation.path, response):
            figures.refused_wrote(f"{label} (HTTP {response.status_code})", state["print"], after)
        state["print"] = after
        if operation.path == "/api/auth/logout":
            token[0] = staff_token(live.base)  # signed out by the fuzzer: sign in again

    try:
        one()
    except Exception as exc:  # hypothesis gives up on an operation it cannot generate for: counted, not fatal
        figures.add("operations not generated")
        if "Unsatisfiable" not in type(exc).__name__ and "FailedHealthCheck" not in type(exc).__name__:
            figures.fail(f"{operation.method.upper()} {operation.path}: fuzzer error {type(exc).__name__}: {exc}")
