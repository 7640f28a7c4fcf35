"""A local server that answers as GitLab's and GitHub's REST documentation says, for the provider
tests (GitLab and GitHub cannot run here). Usage: forge.py; prints its port, then serves on
127.0.0.1 until killed.

GitLab REST v4, personal access tokens (docs.gitlab.com/api/personal_access_tokens), each call
authenticated by the token in PRIVATE-TOKEN:
  GET    /api/v4/personal_access_tokens/self         200 the token's object; 401 when unknown,
                                                      revoked or expired
  POST   /api/v4/personal_access_tokens/self/rotate  200 a new token (the object plus `token`),
                                                      the old one revoked at once; expires_at
                                                      (YYYY-MM-DD) must lie within 365 days
                                                      (400 otherwise); 403 without the `api` or
                                                      `self_rotate` scope; a rotation with a
                                                      token that was already rotated revokes the
                                                      new one too and is 401
  DELETE /api/v4/personal_access_tokens/self         204; 401 when not valid
GitHub Enterprise Server REST (docs.github.com/en/enterprise-server/rest, API version
2022-11-28), under /api/v3, `Authorization: Bearer|token TOKEN`:
  GET    /api/v3/user               200 {login}, with `x-oauth-scopes` for a classic token and
                                    `github-authentication-token-expiration` when it expires;
                                    401 {"message": "Bad credentials"}
  POST   /api/v3/credentials/revoke {"credentials": [...]} 202 {}; 422 on a malformed body

registry.npmjs.org's token API (npm's CLI: `npm whoami`, `npm token list|create|revoke`; the
npm-profile library), under /npm, `Authorization: Bearer TOKEN`, for what Verdaccio does not do
(tests/npm_provider.rs uses the real Verdaccio for the rest):
  GET    /npm/-/whoami                  200 {"username"}; 401 for a token it does not take
  GET    /npm/-/npm/v1/tokens           {"objects": [{"token": first 6 characters, "key": SHA-512
                                        hex of the token, "readonly", "cidr_whitelist", "created",
                                        "updated"}], "urls": {}}
  POST   /npm/-/npm/v1/tokens           {"password", ...}: 401 with `WWW-Authenticate: OTP` when
                                        the account has two-factor auth and no `npm-otp` header
                                        came; 401 for a wrong password or one-time password;
                                        200 a new `npm_` token and its key
  DELETE /npm/-/npm/v1/tokens/token/KEY 204

Control (for the tests, not part of either API), JSON in and out:
  POST /_control/token  {"token", "api": "gitlab"|"github", "scopes", "expires_at",
                         "last_used_at", "active", "classic"} adds a token
  POST /_control/npm    {"user", "password", "otp", "token"} an npm account (a one-time password
                        `otp` when given) holding the token
  POST /_control/fault  {"path", "method", "status", "body", "headers", "delay", "hold", "times"}
                        the next `times` (default 1) matching requests get this answer instead
                        (`status`), or the real answer after `delay` seconds, or (`hold`) the
                        real answer only once /_control/release is posted (the request is
                        carried out first: a rotation happens, its answer waits)
  POST /_control/release  lets held answers go
  GET  /_control/log      every API request so far: method, path, query, headers, body
  GET  /_control/tokens   every token and its state
"""
import datetime
import hashlib
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
tokens = {}  # secret -> state
log = []
faults = []
release = threading.Event()
next_id = [100]
npm_users = {}  # name -> {"password", "otp"}
npm_tokens = {}  # secret -> {"user", "key", "readonly", "cidr_whitelist"}


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def gitlab_object(t):
    return {
        "id": t["id"],
        "name": t.get("name", "tokctl-test"),
        "revoked": t["revoked"],
        "created_at": t.get("created_at", "2026-01-01T00:00:00.000Z"),
        "description": "",
        "scopes": t["scopes"],
        "user_id": 7,
        "last_used_at": t.get("last_used_at"),
        "active": t["active"] and not t["revoked"] and not expired(t),
        "expires_at": t.get("expires_at"),
    }


def expired(t):
    e = t.get("expires_at")
    return bool(e) and datetime.date.fromisoformat(e[:10]) <= today()


def valid(t):
    return t is not None and t["active"] and not t["revoked"] and not expired(t)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return raw.decode(), json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace"), None

    def handle_any(self, method):
        path, _, query = self.path.partition("?")
        raw, data = self.body()
        if path.startswith("/_control/"):
            return self.control(method, path, data)
        with lock:
            log.append({"method": method, "path": path, "query": query,
                        "headers": {k.lower(): v for k, v in self.headers.items()}, "body": raw})
            fault = None
            for f in faults:
                if f["path"] == path and f.get("method", method) == method and f["times"] > 0:
                    f["times"] -= 1
                    fault = f
                    break
        if fault and "status" in fault:
            time.sleep(fault.get("delay", 0))
            return self.answer(fault["status"], fault.get("body"), fault.get("headers"))
        with lock:
            status, body, headers = self.api(method, path, data)
        if fault and fault.get("hold"):
            release.wait()
        if fault and fault.get("delay"):
            time.sleep(fault["delay"])
        try:
            self.answer(status, body, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def api(self, method, path, data):
        if path.startswith("/api/v4/"):
            t = tokens.get(self.headers.get("PRIVATE-TOKEN", ""))
            return self.gitlab(method, path[len("/api/v4"):], data, t)
        if path.startswith("/npm/"):
            auth = self.headers.get("Authorization", "")
            secret = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            return self.npm(method, path[len("/npm"):], data, secret)
        if path.startswith("/api/v3/"):
            auth = self.headers.get("Authorization", "")
            secret = auth.split(" ", 1)[1] if " " in auth else ""
            return self.github(method, path[len("/api/v3"):], data, tokens.get(secret), bool(auth))
        return 404, {"message": "404 Not Found"}, None

    def gitlab(self, method, path, data, t):
        unauthorized = (401, {"message": "401 Unauthorized"}, None)
        if path == "/personal_access_tokens/self" and method == "GET":
            return (200, gitlab_object(t), None) if valid(t) else unauthorized
        if path == "/personal_access_tokens/self" and method == "DELETE":
            if not valid(t):
                return unauthorized
            t["revoked"] = True
            return 204, None, None
        if path == "/personal_access_tokens/self/rotate" and method == "POST":
            if t is not None and t["revoked"] and t.get("rotated_to"):
                # Reuse of a rotated token: GitLab revokes the whole family.
                new = tokens.get(t["rotated_to"])
                if new:
                    new["revoked"] = True
                return unauthorized
            if not valid(t):
                return unauthorized
            if not ({"api", "self_rotate"} & set(t["scopes"])):
                return 403, {"message": "403 Forbidden"}, None
            exp = (data or {}).get("expires_at")
            if exp is None:
                exp = (today() + datetime.timedelta(days=7)).isoformat()
            try:
                d = datetime.date.fromisoformat(exp)
            except ValueError:
                return 400, {"message": "400 Bad request - expires_at is invalid"}, None
            if d <= today() or d > today() + datetime.timedelta(days=365):
                return 400, {"message": "400 Bad request - Expiration date must be within 365 days"}, None
            t["revoked"] = True
            secret = "glpat-" + secrets.token_urlsafe(15)
            t["rotated_to"] = secret
            next_id[0] += 1
            tokens[secret] = dict(t, id=next_id[0], revoked=False, expires_at=exp, last_used_at=None,
                                  rotated_to=None, secret=secret)
            return 200, dict(gitlab_object(tokens[secret]), token=secret), None
        return 404, {"message": "404 Not Found"}, None

    def github(self, method, path, data, t, authenticated):
        bad = (401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, None)
        if path == "/user" and method == "GET":
            if not valid(t):
                return bad
            headers = {"X-GitHub-Api-Version-Selected": "2022-11-28"}
            if t.get("classic", True):
                headers["X-OAuth-Scopes"] = ", ".join(t["scopes"])
            if t.get("expires_at"):
                headers["GitHub-Authentication-Token-Expiration"] = t["expires_at"][:10] + " 00:00:00 UTC"
            return 200, {"login": "octo", "id": 1}, headers
        if path == "/credentials/revoke" and method == "POST":
            creds = (data or {}).get("credentials")
            if not isinstance(creds, list) or not creds or len(creds) > 1000:
                return 422, {"message": "Validation Failed"}, None
            for c in creds:
                if c in tokens:
                    tokens[c]["revoked"] = True
            return 202, {}, None
        return 404, {"message": "Not Found"}, None

    def npm(self, method, path, data, secret):
        t = npm_tokens.get(secret)
        unauthorized = (401, {"error": "You must be logged in"}, None)
        if t is None:
            return unauthorized
        user = npm_users[t["user"]]
        if path == "/-/whoami" and method == "GET":
            return 200, {"username": t["user"]}, None
        if path == "/-/npm/v1/tokens" and method == "GET":
            objects = [{"token": s[:6], "key": v["key"], "readonly": v["readonly"],
                        "cidr_whitelist": v["cidr_whitelist"], "created": "2026-01-01T00:00:00.000Z",
                        "updated": "2026-01-01T00:00:00.000Z"}
                       for s, v in npm_tokens.items() if v["user"] == t["user"]]
            return 200, {"objects": objects, "urls": {}}, None
        if path == "/-/npm/v1/tokens" and method == "POST":
            if (data or {}).get("password") != user["password"]:
                return 401, {"error": "invalid password"}, None
            if user.get("otp"):
                otp = self.headers.get("npm-otp")
                if otp is None:
                    return 401, {"error": "otp required"}, {"WWW-Authenticate": "OTP"}
                if otp != user["otp"]:
                    return 401, {"error": "invalid one-time password"}, {"WWW-Authenticate": "OTP"}
            new = "npm_" + secrets.token_hex(18)
            key = hashlib.sha512(new.encode()).hexdigest()
            npm_tokens[new] = {"user": t["user"], "key": key, "readonly": bool((data or {}).get("readonly")),
                               "cidr_whitelist": (data or {}).get("cidr_whitelist") or []}
            return 200, {"token": new, "key": key, "readonly": npm_tokens[new]["readonly"],
                         "cidr_whitelist": npm_tokens[new]["cidr_whitelist"],
                         "created": "2026-12-01T00:00:00.000Z", "updated": "2026-12-01T00:00:00.000Z"}, None
        if path.startswith("/-/npm/v1/tokens/token/") and method == "DELETE":
            key = path.rsplit("/", 1)[1]
            for s, v in list(npm_tokens.items()):
                if v["key"] == key and v["user"] == t["user"]:
                    del npm_tokens[s]
            return 204, None, None
        return 404, {"error": "not found"}, None

    def control(self, method, path, data):
        with lock:
            if path == "/_control/npm":
                npm_users[data["user"]] = {"password": data["password"], "otp": data.get("otp")}
                npm_tokens[data["token"]] = {"user": data["user"], "readonly": False, "cidr_whitelist": [],
                                             "key": hashlib.sha512(data["token"].encode()).hexdigest()}
                return self.answer(200, {})
            if path == "/_control/npm-tokens":
                return self.answer(200, {s: v for s, v in npm_tokens.items()})
            if path == "/_control/token":
                next_id[0] += 1
                t = {"id": next_id[0], "revoked": False, "active": data.get("active", True),
                     "scopes": data.get("scopes", ["api"]), "expires_at": data.get("expires_at"),
                     "last_used_at": data.get("last_used_at"), "classic": data.get("classic", True),
                     "secret": data["token"]}
                tokens[data["token"]] = t
                return self.answer(200, {"id": t["id"]})
            if path == "/_control/fault":
                faults.append(dict(data, times=data.get("times", 1)))
                return self.answer(200, {})
            if path == "/_control/release":
                release.set()
                return self.answer(200, {})
            if path == "/_control/log":
                return self.answer(200, log)
            if path == "/_control/tokens":
                return self.answer(200, list(tokens.values()))
        return self.answer(404, {})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
