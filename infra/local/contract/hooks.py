"""Schemathesis hooks for orgkit's contract fuzzing (loaded through SCHEMATHESIS_HOOKS by run.py).

Generated ids almost never name a real org, workspace, user or invitation, so most cases would
only test 404s. run.py signs users up and creates real resources, and writes, for each operation
("GET /orgs/{orgId}"), the real values each path parameter may take (ORGKIT_CONTRACT_IDS, a JSON
file). Here each generated path parameter becomes a choice between the generated value and those
real ones, drawn by Hypothesis, so runs stay reproducible from their seed and failures shrink.
The accept-with-token route gets real invitation tokens the same way.

A few requests would end the run's usefulness: deleting the main org or its default workspace,
or the main user leaving or demoting themselves in it (after the fuzzer made someone else an
owner). Schemathesis also reuses ids it saw in responses (its resource pool and the stateful
phase's links), so those are caught where every request passes, before_call, and sent with an
unknown id instead: they still test the 404 path.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st

with open(os.environ["ORGKIT_CONTRACT_IDS"], encoding="utf-8") as f:
    _IDS = json.load(f)


def _key(context):
    op = context.operation
    return f"{op.method.upper()} {op.path}" if op is not None else ""


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    real = _IDS["path"].get(_key(context), {})
    if not isinstance(path_parameters, dict) or not real:
        return st.just(path_parameters)
    choices = {}
    for name, value in path_parameters.items():
        # The generated value first: Hypothesis shrinks towards it.
        choices[name] = st.sampled_from([value, *real.get(name, [])])
    return st.fixed_dictionaries(choices)


@schemathesis.hook
def flatmap_body(context, body):
    real = _IDS["body"].get(_key(context), [])
    if not real:
        return st.just(body)
    return st.sampled_from([body, *real])


@schemathesis.hook
def before_call(context, case, kwargs):
    op = case.operation
    key = f"{op.method.upper()} {op.path}"
    # Every request with a real token: the backend API's with the backend client's (when the
    # stack has one), the others with the main user's. Set here rather than with --header, which
    # would override a per-operation choice.
    token = _IDS["user_token"]
    if op.path.startswith("/admin/") and _IDS.get("machine_token"):
        token = _IDS["machine_token"]
    case.headers = {**(case.headers or {}), "Authorization": "Bearer " + token}
    params = case.path_parameters
    if not isinstance(params, dict):
        return
    for rule in _IDS["protect"].get(key, []):
        if all(params.get(name) == value for name, value in rule["match"].items()):
            params.update(rule["swap"])
