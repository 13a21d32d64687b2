"""Contract fuzzing of the running local stack with Schemathesis and real Cognito tokens.

    .local/venv-st/bin/python infra/local/contract/run.py [--max-examples N] [--max-time S] [--seed N]
                                                          [--workers N] [-- more schemathesis args]

Reads .local/stack.env (or STACK_ENV), signs fresh users of fresh domains up in cognito-local,
builds real state through the API (orgs, workspaces, a member, join requests, invitations), then
runs `schemathesis run` on the API document the local API serves ($API_URL/openapi.json) with
the main user's ID token, then on the backend routes (/admin/) with a client-credentials token
of the stack's backend client (TOKEN_URL). Every operation is fuzzed; the checks are:
no 5xx, and status code, content type, headers and body as the document says. Path parameters
take the real ids now and then (hooks.py), so cases reach past 404. Exits non-zero on a failure.
"""

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PASSWORD = "Corr3ct-Horse-Battery!"
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])


def log(msg):
    print(f"[contract] {msg}", file=sys.stderr, flush=True)


def load_env():
    path = os.environ.get("STACK_ENV") or os.path.join(ROOT, ".local", "stack.env")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        sys.exit(f"contract: the local stack is not up (run `make up`): {e}")
    env = {}
    for line in lines:
        k, sep, v = line.partition("=")
        if sep:
            env[k.strip()] = v.strip()
    return env


def http(method, url, body=None, headers=None, want=None):
    """One request; returns (status, headers, parsed JSON or None). want: the expected status."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None and not req.has_header("Content-type"):  # urllib capitalizes header names
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    try:
        out = json.loads(raw) if raw else None
    except ValueError:
        out = raw.decode(errors="replace")
    if want is not None and status != want:
        sys.exit(f"contract: setup: {method} {url} answered {status}, not {want}: {out}")
    return status, hdrs, out


class Stack:
    def __init__(self, env):
        self.env = env
        self.api = env["API_URL"].rstrip("/")

    def cognito(self, op, payload):
        status, _, out = http("POST", self.env["COGNITO_ENDPOINT"], payload, {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{op}",
        })
        if status != 200:
            sys.exit(f"contract: setup: cognito {op} answered {status}: {out}")
        return out

    def sign_up(self, email):
        """Sign up, confirm (the post-confirmation trigger runs), sign in: the user's sub and ID token."""
        client = self.env["USER_POOL_CLIENT_ID"]
        out = self.cognito("SignUp", {"ClientId": client, "Username": email, "Password": PASSWORD,
                                      "UserAttributes": [{"Name": "email", "Value": email}]})
        self.cognito("ConfirmSignUp", {"ClientId": client, "Username": email,
                                       "ConfirmationCode": self.env["CONFIRMATION_CODE"]})
        auth = self.cognito("InitiateAuth", {"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
                                             "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}})
        result = auth["AuthenticationResult"]
        return User(self, email, out["UserSub"], result["IdToken"], result["AccessToken"])


class User:
    def __init__(self, stack, email, sub, token, access_token):
        self.stack, self.email, self.sub, self.token, self.access_token = stack, email, sub, token, access_token

    def call(self, method, path, body=None, want=None, headers=None):
        h = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return http(method, self.stack.api + path, body, h, want)

    def me(self):
        return self.call("GET", "/me", want=200)[2]


def machine_token(env):
    """A client-credentials token of the backend client with every scope it is allowed, fetched as
    OAuth 2 says: POST TOKEN_URL, the client id and secret by HTTP Basic."""
    basic = base64.b64encode(f"{env['BACKEND_CLIENT_ID']}:{env['BACKEND_CLIENT_SECRET']}".encode()).decode()
    req = urllib.request.Request(env["TOKEN_URL"], data=b"grant_type=client_credentials", method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())["access_token"]
    except (OSError, KeyError, ValueError) as e:
        sys.exit(f"contract: setup: client-credentials token from {env.get('TOKEN_URL')}: {e}")


def fresh_domain(tag):
    # .test is reserved (RFC 2606): no mail ever leaves.
    return f"st{tag}{secrets.token_hex(4)}.test"


def prove_domain(stack, user, org, domain):
    """Add a domain to org, publish its TXT record on the local stack's DNS server (a file in
    DNS_DIR) and verify it: domain join (request, auto) needs a verified domain."""
    added = user.call("POST", f"/orgs/{org}/domains", {"domain": domain}, want=201)[2]
    publish(stack, added)
    user.call("POST", f"/orgs/{org}/domains/{domain}/verify", want=200)


def publish(stack, added):
    dns_dir = stack.env.get("DNS_DIR")
    if not dns_dir:
        sys.exit("contract: setup: stack.env has no DNS_DIR (restart the local stack: make down && make up)")
    os.makedirs(dns_dir, exist_ok=True)
    with open(os.path.join(dns_dir, added["record"]["name"]), "w", encoding="utf-8") as f:
        f.write(added["record"]["value"] + "\n")


def build_state(stack):
    """Real users and resources; returns the main user and the real values per operation."""
    dom_a, dom_b, dom_e = fresh_domain("a"), fresh_domain("b"), fresh_domain("e")
    ada = stack.sign_up(f"ada@{dom_a}")  # owns org A, the one fuzzed
    me = ada.me()
    if len(me["orgs"]) != 1:
        sys.exit(f"contract: setup: a fresh domain's first user should own one org: {me}")
    org_a = me["orgs"][0]["id"]
    ws_default = me["orgs"][0]["workspaces"][0]["id"]
    ws_extra = [ada.call("POST", f"/orgs/{org_a}/workspaces", {"name": f"Contract {i}"}, want=201)[2]["id"]
                for i in (1, 2)]

    # Colleagues of domain A: one member (approved), two pending join requests. With domain A
    # verified and the policy's domainJoin "request", signing up files the request (the
    # post-confirmation trigger).
    prove_domain(stack, ada, org_a, dom_a)
    _, hdrs, policy = ada.call("GET", f"/orgs/{org_a}/policy", want=200)
    policy["domainJoin"] = "request"
    ada.call("PUT", f"/orgs/{org_a}/policy", policy, want=200, headers={"If-Match": hdrs.get("ETag", "*")})
    colleagues = [stack.sign_up(f"{name}@{dom_a}") for name in ("cleo", "jon", "joy")]
    pending = {j["userId"] for j in ada.call("GET", f"/orgs/{org_a}/join-requests?limit=200", want=200)[2]["items"]}
    if pending != {u.sub for u in colleagues}:
        sys.exit(f"contract: setup: expected the colleagues' join requests, found {pending}")
    cleo, joiners = colleagues[0], colleagues[1:]
    ada.call("POST", f"/orgs/{org_a}/join-requests/{cleo.sub}/approve", want=200)
    ada.call("PUT", f"/orgs/{org_a}/workspaces/{ws_default}/members/{cleo.sub}", {"role": "member"}, want=200)

    # Pending invitations of org A.
    invs = [ada.call("POST", f"/orgs/{org_a}/invitations", {"email": f"guest{i}@{dom_a}", "role": "member",
                                                             "workspaces": [{"workspaceId": ws_default, "role": "viewer"}]},
                     want=201)[2]["invitation"]["id"] for i in (1, 2)]

    # Org B, which ada co-owns: the one DELETE /orgs/{orgId} may really delete.
    bob = stack.sign_up(f"bob@{dom_b}")
    org_b = bob.me()["orgs"][0]["id"]
    inv_b = bob.call("POST", f"/orgs/{org_b}/invitations", {"email": ada.email, "role": "admin", "workspaces": []},
                     want=201)[2]["invitation"]["id"]
    ada.call("POST", f"/me/invitations/{inv_b}/accept", want=200)
    bob.call("PATCH", f"/orgs/{org_b}/members/{ada.sub}", {"role": "owner"}, want=200)

    # Org C, which ada co-owns with dan: the one whose ownership ada may really hand over (to dan;
    # after that ada is an admin there and further transfers are refused).
    dan = stack.sign_up(f"dan@{fresh_domain('c')}")
    org_c = dan.me()["orgs"][0]["id"]
    inv_c = dan.call("POST", f"/orgs/{org_c}/invitations", {"email": ada.email, "role": "admin", "workspaces": []},
                     want=201)[2]["invitation"]["id"]
    ada.call("POST", f"/me/invitations/{inv_c}/accept", want=200)
    dan.call("PATCH", f"/orgs/{org_c}/members/{ada.sub}", {"role": "owner"}, want=200)

    # Org E invites ada: left pending, for the accept routes.
    eve = stack.sign_up(f"eve@{dom_e}")
    org_e = eve.me()["orgs"][0]["id"]
    created = eve.call("POST", f"/orgs/{org_e}/invitations", {"email": ada.email, "role": "member", "workspaces": []},
                       want=201)[2]
    inv_e, token_e = created["invitation"]["id"], created["token"]

    # Domains of org A beside the verified one: some pending with their records published (verify
    # may succeed), some for DELETE to remove.
    pending_doms = [fresh_domain("p") for _ in (1, 2)]
    for d in pending_doms:
        publish(stack, ada.call("POST", f"/orgs/{org_a}/domains", {"domain": d}, want=201)[2])
    extra_doms = [fresh_domain("x") for _ in (1, 2)]
    for d in extra_doms:
        ada.call("POST", f"/orgs/{org_a}/domains", {"domain": d}, want=201)

    # Custom roles of org A (SPEC 10): two at org scope, one at workspace scope, one held.
    roles = [ada.call("POST", f"/orgs/{org_a}/roles", {"name": f"Contract {scope} {i}", "scope": scope, "permissions": perms},
                      want=201)[2]["id"]
             for i, (scope, perms) in enumerate([("org", ["org:members:read", "org:billing:manage"]), ("org", []),
                                                 ("workspace", ["workspace:settings:manage"])])]
    ada.call("PUT", f"/orgs/{org_a}/workspaces/{ws_default}/members/{cleo.sub}", {"role": roles[2]}, want=200)

    members = [ada.sub, cleo.sub]
    path = {}

    def put(key, **params):
        path[key] = params

    org = [org_a]
    put("GET /orgs/{orgId}", orgId=org)
    put("PATCH /orgs/{orgId}", orgId=org)
    put("DELETE /orgs/{orgId}", orgId=[org_b])
    put("GET /orgs/{orgId}/policy", orgId=org)
    put("PUT /orgs/{orgId}/policy", orgId=org)
    put("GET /orgs/{orgId}/audit-events", orgId=org)
    put("GET /orgs/{orgId}/billing", orgId=org)
    put("PATCH /orgs/{orgId}/billing", orgId=org)
    # The user's token: the backend's plan routes answer 403 to it (machine tokens only).
    put("GET /admin/orgs/{orgId}/plan", orgId=org)
    put("PUT /admin/orgs/{orgId}/plan", orgId=org)
    put("GET /orgs/{orgId}/domains", orgId=org)
    put("POST /orgs/{orgId}/domains", orgId=org)
    put("POST /orgs/{orgId}/domains/{domain}/verify", orgId=org, domain=[dom_a, *pending_doms])
    put("DELETE /orgs/{orgId}/domains/{domain}", orgId=org, domain=[*pending_doms, *extra_doms])
    put("GET /orgs/{orgId}/join-requests", orgId=org)
    put("POST /orgs/{orgId}/join-requests", orgId=[org_a, org_e])
    put("POST /orgs/{orgId}/join-requests/{userId}/approve", orgId=org, userId=[u.sub for u in joiners])
    put("DELETE /orgs/{orgId}/join-requests/{userId}", orgId=org, userId=[u.sub for u in joiners])
    put("GET /orgs/{orgId}/members", orgId=org)
    put("PATCH /orgs/{orgId}/members/{userId}", orgId=org, userId=[cleo.sub])
    put("DELETE /orgs/{orgId}/members/{userId}", orgId=org, userId=[cleo.sub])
    put("GET /orgs/{orgId}/invitations", orgId=org)
    put("POST /orgs/{orgId}/invitations", orgId=org)
    put("POST /orgs/{orgId}/invitations/{invitationId}/resend", orgId=org, invitationId=invs)
    put("DELETE /orgs/{orgId}/invitations/{invitationId}", orgId=org, invitationId=invs)
    put("POST /me/invitations/{invitationId}/accept", invitationId=[inv_e])
    put("GET /orgs/{orgId}/workspaces", orgId=org)
    put("POST /orgs/{orgId}/workspaces", orgId=org)
    ws_all = [ws_default, *ws_extra]
    put("GET /orgs/{orgId}/workspaces/{workspaceId}", orgId=org, workspaceId=ws_all)
    put("PATCH /orgs/{orgId}/workspaces/{workspaceId}", orgId=org, workspaceId=ws_all)
    put("DELETE /orgs/{orgId}/workspaces/{workspaceId}", orgId=org, workspaceId=ws_extra)
    put("GET /orgs/{orgId}/workspaces/{workspaceId}/members", orgId=org, workspaceId=ws_all)
    put("PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", orgId=org, workspaceId=ws_all, userId=members)
    put("DELETE /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}", orgId=org, workspaceId=ws_all,
        userId=[cleo.sub])
    # Teams of org A: cleo in one, each granted a role in a workspace.
    teams = [ada.call("POST", f"/orgs/{org_a}/teams", {"name": f"Contract team {i}"}, want=201)[2]["id"] for i in (1, 2)]
    ada.call("PUT", f"/orgs/{org_a}/teams/{teams[0]}/members/{cleo.sub}", {}, want=200)
    for t in teams:
        ada.call("PUT", f"/orgs/{org_a}/workspaces/{ws_default}/teams/{t}", {"role": "viewer"}, want=200)
    put("GET /orgs/{orgId}/teams", orgId=org)
    put("POST /orgs/{orgId}/teams", orgId=org)
    put("GET /orgs/{orgId}/teams/{teamId}", orgId=org, teamId=teams)
    put("PATCH /orgs/{orgId}/teams/{teamId}", orgId=org, teamId=teams)
    put("DELETE /orgs/{orgId}/teams/{teamId}", orgId=org, teamId=teams[1:])
    put("GET /orgs/{orgId}/teams/{teamId}/members", orgId=org, teamId=teams)
    put("PUT /orgs/{orgId}/teams/{teamId}/members/{userId}", orgId=org, teamId=teams, userId=members)
    put("DELETE /orgs/{orgId}/teams/{teamId}/members/{userId}", orgId=org, teamId=teams, userId=[cleo.sub])
    put("GET /orgs/{orgId}/workspaces/{workspaceId}/teams", orgId=org, workspaceId=ws_all)
    put("PUT /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", orgId=org, workspaceId=ws_all, teamId=teams)
    put("DELETE /orgs/{orgId}/workspaces/{workspaceId}/teams/{teamId}", orgId=org, workspaceId=ws_all, teamId=teams)
    put("PUT /orgs/{orgId}/members/{userId}/default-workspace-role", orgId=org, userId=members)
    put("DELETE /orgs/{orgId}/members/{userId}/default-workspace-role", orgId=org, userId=members)
    put("POST /orgs/{orgId}/transfer-ownership", orgId=[org_c])
    # The backend routes (the product's server, a machine token): org A.
    put("GET /admin/orgs/{orgId}", orgId=org)
    put("GET /orgs/{orgId}/access", orgId=org)
    put("GET /orgs/{orgId}/workspaces/{workspaceId}/access", orgId=org, workspaceId=ws_all)
    put("GET /orgs/{orgId}/roles", orgId=org)
    put("POST /orgs/{orgId}/roles", orgId=org)
    put("GET /orgs/{orgId}/roles/{roleId}", orgId=org, roleId=roles)
    put("PATCH /orgs/{orgId}/roles/{roleId}", orgId=org, roleId=roles)
    put("DELETE /orgs/{orgId}/roles/{roleId}", orgId=org, roleId=roles)
    body = {"POST /invitations/accept": [{"token": token_e}],
            "POST /orgs/{orgId}/transfer-ownership": [{"userId": dan.sub}],
            "POST /orgs/{orgId}/roles": [{"name": "Fuzzed", "scope": "org", "permissions": ["org:members:read"]}],
            "PATCH /orgs/{orgId}/members/{userId}": [{"role": roles[0]}],
            "PUT /orgs/{orgId}/workspaces/{workspaceId}/members/{userId}": [{"role": roles[2]}]}
    unknown_org, unknown_ws = "org_" + "0" * 26, "ws_" + "0" * 26
    unknown_user = "00000000-0000-0000-0000-000000000000"
    protect = {
        # Domain A's proof keeps the join-request routes' state meaningful.
        "DELETE /orgs/{orgId}/domains/{domain}": [
            {"match": {"orgId": org_a, "domain": dom_a}, "swap": {"domain": fresh_domain("gone")}}],
        "DELETE /orgs/{orgId}": [{"match": {"orgId": org_a}, "swap": {"orgId": unknown_org}}],
        "DELETE /orgs/{orgId}/workspaces/{workspaceId}": [
            {"match": {"orgId": org_a, "workspaceId": ws_default}, "swap": {"workspaceId": unknown_ws}}],
        "DELETE /orgs/{orgId}/members/{userId}": [
            {"match": {"orgId": org_a, "userId": ada.sub}, "swap": {"userId": unknown_user}}],
        "PATCH /orgs/{orgId}/members/{userId}": [
            {"match": {"orgId": org_a, "userId": ada.sub}, "swap": {"userId": unknown_user}}],
        # Handing org A or B over would make ada an admin there.
        "POST /orgs/{orgId}/transfer-ownership": [
            {"match": {"orgId": org_a}, "swap": {"orgId": unknown_org}},
            {"match": {"orgId": org_b}, "swap": {"orgId": unknown_org}}],
    }
    # The backend API, on the same state: org A, its people and workspaces. Deleting ada or cleo,
    # or taking ada's ownership, would leave the rest of the run little to test.
    people = [ada.sub, cleo.sub, *[u.sub for u in joiners], bob.sub]
    put("GET /admin/users/{userId}", userId=people)
    put("DELETE /admin/users/{userId}", userId=[u.sub for u in joiners])
    put("PATCH /admin/orgs/{orgId}", orgId=org)
    put("GET /admin/orgs/{orgId}/members", orgId=org)
    for op in ("PUT", "PATCH", "DELETE"):
        put(f"{op} /admin/orgs/{{orgId}}/members/{{userId}}", orgId=org, userId=people)
    for op in ("PUT", "DELETE"):
        put(f"{op} /admin/orgs/{{orgId}}/workspaces/{{workspaceId}}/members/{{userId}}", orgId=org,
            workspaceId=ws_all, userId=people)
    for u in (ada, cleo):
        protect.setdefault("DELETE /admin/users/{userId}", []).append(
            {"match": {"userId": u.sub}, "swap": {"userId": unknown_user}})
    for op in ("PUT", "DELETE"):
        protect[f"{op} /admin/orgs/{{orgId}}/members/{{userId}}"] = [
            {"match": {"orgId": org_a, "userId": ada.sub}, "swap": {"userId": unknown_user}}]
    log(f"user {ada.email} ({ada.sub}): org {org_a}, workspaces {', '.join(ws_all)}; co-owns {org_b}; "
        f"invited to {org_e}; co-owns {org_c} with dan")
    return ada, {"path": path, "body": body, "protect": protect}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-examples", type=int, default=25, help="test cases per operation and phase")
    p.add_argument("--max-time", type=int, help="time budget in seconds; fuzzing repeats until it is spent")
    p.add_argument("--seed", type=int, help="Hypothesis seed (random when absent)")
    # One worker: Python 3.11's ast.parse is not thread-safe ("AST constructor recursion depth
    # mismatch" from Hypothesis in two threads), and one worker keeps the order reproducible.
    p.add_argument("--workers", default="1")
    p.add_argument("--timeout", type=int, default=0, help="kill schemathesis after this many seconds (0: never)")
    p.add_argument("--schema", help="the API document (default: $API_URL/openapi.json, else shared/routes/openapi.json)")
    p.add_argument("--token", choices=("id", "access"), default="id", help="which of the user's Cognito tokens to send")
    p.add_argument("extra", nargs="*", help="more `schemathesis run` arguments (after --)")
    args = p.parse_args()

    env = load_env()
    stack = Stack(env)
    try:
        http("GET", stack.api + "/healthz", want=200)
    except OSError as e:
        sys.exit(f"contract: the local API at {stack.api} does not answer (run `make up`): {e}")
    schema = os.path.abspath(args.schema) if args.schema else None
    if not schema:
        schema = stack.api + "/openapi.json"
        if http("GET", schema)[0] != 200:  # a local API started before it served its document
            schema = os.path.join(ROOT, "shared", "routes", "openapi.json")
            log(f"{stack.api}/openapi.json is not served (restart the local API: make down && make up); using {schema}")

    started = time.monotonic()
    user, ids = build_state(stack)
    # hooks.py sends each request with its token: the user's, or the backend client's on /admin/.
    ids["user_token"] = user.token if args.token == "id" else user.access_token
    backend_token = machine_token(stack.env)
    ids["machine_token"] = backend_token
    log(f"setup took {time.monotonic() - started:.1f}s")

    work = os.path.join(ROOT, ".local", "contract")
    os.makedirs(work, exist_ok=True)
    fd, ids_path = tempfile.mkstemp(prefix="ids-", suffix=".json", dir=work)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(ids, f)

    # Two passes, each with the token its routes take: a person's for every route outside /admin/,
    # the backend client's (every scope) for the backend routes, which refuse a person's token.
    person = user.token if args.token == "id" else user.access_token
    passes = [("people", person, ["--exclude-path-regex", "^/admin/"], os.path.join(work, "junit.xml"))]
    if has_backend_routes(schema):
        passes.append(("backend", backend_token, ["--include-path-regex", "^/admin/"],
                       os.path.join(work, "junit-backend.xml")))
    deadline = time.monotonic() + args.timeout if args.timeout else None
    rc = 0
    try:
        for name, token, select, junit in passes:
            left = None if deadline is None else max(1, int(deadline - time.monotonic()))
            rc = run_pass(args, name, schema, stack, token, select, junit, ids_path, work, left) or rc
    finally:
        os.unlink(ids_path)
    if rc != 0:
        # A stack restarted under the run (make down/up elsewhere) fails it too: say so.
        try:
            status = user.call("GET", "/me")[0]
        except OSError as e:
            status = e
        if status != 200:
            log(f"after the run GET /me answers {status}, not 200: the local stack was stopped or reset "
                "during the run, and failures above may be its, not the API's (see .local/logs/api.log)")
    summary = junit_summary([junit for *_, junit in passes])
    if summary:
        print(f"contract: {summary}", flush=True)  # a closing line test-result readers understand
    return rc


def has_backend_routes(schema):
    """Whether the API document has routes under /admin/ (a schemathesis pass selecting none fails)."""
    if schema.startswith("http"):
        doc = http("GET", schema)[2]
    else:
        with open(schema, encoding="utf-8") as f:
            doc = json.load(f)
    return any(p.startswith("/admin/") for p in (doc or {}).get("paths", {}))


def run_pass(args, name, schema, stack, token, select, junit, ids_path, work, timeout):
    """One `schemathesis run` over the operations select picks, with token; its exit code."""
    if os.path.exists(junit):
        os.unlink(junit)
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", schema,
        "--url", stack.api,
        "--header", f"Authorization: Bearer {token}",
        *select,
        "--checks", CHECKS,
        "--max-examples", str(args.max_examples),
        "--workers", str(args.workers),
        "--generation-database", "none",
        "--request-timeout", "30",
        "--report", "junit",
        "--report-junit-path", junit,
        "--no-color",
    ]
    if args.max_time:
        cmd += ["--max-time", str(args.max_time)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    cmd += args.extra
    child_env = dict(os.environ, SCHEMATHESIS_HOOKS=os.path.join(HERE, "hooks.py"), ORGKIT_CONTRACT_IDS=ids_path)
    shown = " ".join("'Authorization: Bearer …'" if a.startswith("Authorization:") else a for a in cmd[1:])
    log(f"{name}: schemathesis {shown}")
    started = time.monotonic()
    try:
        # In .local/contract, where Hypothesis and Schemathesis keep their own folders.
        rc = subprocess.run(cmd, env=child_env, cwd=work, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        log(f"{name}: schemathesis did not finish within {timeout}s")
        rc = 1
    log(f"{name}: schemathesis took {time.monotonic() - started:.1f}s, exit {rc}; JUnit report: {os.path.relpath(junit, ROOT)}")
    return rc


def junit_summary(paths):
    """'N passed, N failed[, N skipped]' over the operations, from schemathesis' JUnit reports."""
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in paths:
        try:
            suites = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            return ""
        for k in n:
            n[k] += int(suites.get(k, "0"))
    failed = n["failures"] + n["errors"]
    out = f"{n['tests'] - failed - n['skipped']} passed, {failed} failed"
    return out + (f", {n['skipped']} skipped" if n["skipped"] else "")


if __name__ == "__main__":
    sys.exit(main())
