#!/usr/bin/python3
"""A small local OAuth2 authorization server for MailPorter's test bed.

Python standard library only; HTTP on 127.0.0.1; state in memory; one log
line per request (tokens, codes and secrets never appear in full: at most
their first 6 characters).

  oauth_server.py --port N --log FILE [--pidfile F]

The pid file is written (atomically) only once the socket is bound, so a
caller can wait for it. Endpoints (all URLs http://127.0.0.1:N/...):

  GET  /.well-known/openid-configuration, /.well-known/oauth-authorization-server
  GET  /authorize        auth code + PKCE (S256 only), auto-approved
  POST /token            authorization_code, refresh_token (rotating),
                         device_code (RFC 8628), client_credentials (app-only)
  POST /device_authorization
  POST /introspect       RFC 7662; ?kind=user or ?kind=app limits which access
                         tokens count as active (Dovecot's two oauth2 passdbs)
  POST /revoke           RFC 7009
  Admin (tests): POST /admin/config, /admin/approve_device, /admin/deny_device,
                 /admin/revoke, /admin/issue, /admin/reset_stats; GET /admin/stats
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUBLIC_CLIENT = "mailporter-test"
APP_CLIENT, APP_SECRET = "mailporter-app", "app-secret"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def short(s):
    """What the log may show of a credential: its first 6 characters."""
    return (s or "")[:6] + ("..." if s and len(s) > 6 else "")


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error reply."""

    def __init__(self, error, description="", status=400):
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


class State:
    """Everything the server knows, guarded by one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.config = {
            "access_lifetime": 3600,    # seconds an access token lives
            "code_lifetime": 60,
            "device_lifetime": 600,
            "device_interval": 1,       # RFC 8628 polling interval (s)
            "default_user": "alice",
            "deny_next_authorize": False,
            "no_refresh": False,        # issue no refresh tokens at all
        }
        self.clients = {PUBLIC_CLIENT: None, APP_CLIENT: APP_SECRET}  # id -> secret (None: public)
        self.certificates = {}  # id -> PEM certificate (client assertions, RFC 7523)
        self.used_jti = set()   # client assertions are single use
        self.access = {}    # token -> {user, client, scope, exp, app, grant}
        self.refresh = {}   # token -> {user, client, scope, grant}
        self.used_refresh = set()   # rotated-away refresh tokens (reuse detection)
        self.revoked_grants = set()
        self.codes = {}     # code -> {client, redirect_uri, challenge, scope, user, exp}
        self.devices = {}   # device_code -> {user_code, client, scope, exp, interval, last, status, user}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"token_requests": {}, "token_errors": {}, "refresh_reuse": 0,
                      "introspections": 0, "introspections_active": 0, "authorize": 0,
                      "device_authorizations": 0, "revocations": 0, "issued_access_tokens": 0}

    def count(self, key, sub=None):
        if sub is None:
            self.stats[key] += 1
        else:
            self.stats[key][sub] = self.stats[key].get(sub, 0) + 1

    def issue(self, user, client, scope, lifetime=None, app=False, with_refresh=True, grant=None):
        """A new access token (and refresh token) for one grant. Lock held."""
        grant = grant or secrets.token_hex(8)
        lifetime = int(self.config["access_lifetime"] if lifetime is None else lifetime)
        at = "at_" + secrets.token_urlsafe(32)
        self.access[at] = {"user": user, "client": client, "scope": scope,
                           "exp": time.time() + lifetime, "app": app, "grant": grant}
        self.count("issued_access_tokens")
        out = {"access_token": at, "token_type": "Bearer", "expires_in": lifetime, "scope": scope}
        if with_refresh and not app and not self.config["no_refresh"]:
            rt = "rt_" + secrets.token_urlsafe(32)
            self.refresh[rt] = {"user": user, "client": client, "scope": scope, "grant": grant}
            out["refresh_token"] = rt
        return out

    def revoke_grant(self, grant):
        self.revoked_grants.add(grant)
        for d in (self.access, self.refresh):
            for t in [t for t, v in d.items() if v["grant"] == grant]:
                del d[t]

    def revoke_user(self, user):
        grants = {v["grant"] for d in (self.access, self.refresh) for v in d.values() if v["user"] == user}
        for g in grants:
            self.revoke_grant(g)
        return len(grants)

    def expire_access(self, user):
        """The user's access tokens stop working; the grant (refresh) lives on:
        what Microsoft's AccessTokenExpired looks like to a client."""
        tokens = [t for t, v in self.access.items() if v["user"] == user]
        for t in tokens:
            del self.access[t]
        return len(tokens)

    def live_access(self, token):
        info = self.access.get(token)
        if info is None or info["exp"] <= time.time() or info["grant"] in self.revoked_grants:
            return None
        return info


STATE = State()


def verify_rs256(cert_pem, data, signature):
    """An RS256 signature checked by the openssl command (the standard library
    has no RSA)."""
    with tempfile.TemporaryDirectory() as d:
        cert, key, sig = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "sig"))
        with open(cert, "w") as fh:
            fh.write(cert_pem)
        with open(sig, "wb") as fh:
            fh.write(signature)
        pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert], capture_output=True)
        if pub.returncode != 0:
            return False
        with open(key, "wb") as fh:
            fh.write(pub.stdout)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", key, "-signature", sig], input=data,
                           capture_output=True)
        return r.returncode == 0


def s256(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def loopback_http(uri):
    """True for http://127.0.0.1|[::1]|localhost[:port]/... (RFC 8252 7.3)."""
    try:
        u = urllib.parse.urlsplit(uri)
        u.port  # raises ValueError on a bad port
        return u.scheme == "http" and u.hostname in ("127.0.0.1", "::1", "localhost")
    except ValueError:
        return False


def user_code():
    letters = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels: no words, no 0/O confusion
    raw = "".join(secrets.choice(letters) for _ in range(8))
    return raw[:4] + "-" + raw[4:]


def truthy(v):
    return v is True or str(v).lower() in ("1", "true", "yes", "on")


class Handler(BaseHTTPRequestHandler):
    server_version = "MailPorterOAuthBed/1"
    protocol_version = "HTTP/1.0"
    note = ""

    # --- plumbing -------------------------------------------------------------
    def log_message(self, fmt, *args):  # the standard log would show query strings
        pass

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def reply(self, status, body=None, headers=None):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "text/plain" if isinstance(body, bytes) else "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.status = status

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace") if n > 0 else ""
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            obj = json.loads(raw or "{}")
            return {k: v for k, v in obj.items()}
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def write_log(self):
        path = urllib.parse.urlsplit(self.path).path  # never the query (codes, tokens)
        line = "%s %s %s %s %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), self.client_address[0],
                                       self.command, path, getattr(self, "status", "-"), self.note)
        with LOG_LOCK:
            with open(self.server.log_path, "a") as f:
                f.write(line)

    def dispatch(self, routes):
        self.note = ""
        parts = urllib.parse.urlsplit(self.path)
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        fn = routes.get(parts.path)
        try:
            if fn is None:
                self.reply(404, {"error": "not_found"})
            else:
                fn(self)
        except OAuthError as e:
            self.note += " error=%s" % e.error
            hdrs = {"WWW-Authenticate": 'Basic realm="oauthbed"'} if e.status == 401 else None
            self.reply(e.status, {"error": e.error, "error_description": e.description}, hdrs)
        except (ValueError, KeyError) as e:
            self.note += " bad_request"
            self.reply(400, {"error": "invalid_request", "error_description": str(e)[:100]})
        finally:
            self.write_log()

    def do_GET(self):
        self.dispatch(GET_ROUTES)

    def do_POST(self):
        self.dispatch(POST_ROUTES)

    def client_auth(self, f, confidential_only=False):
        """The authenticated client id (body client_id[/client_secret], HTTP Basic,
        or a client assertion signed with a registered certificate)."""
        if "client_assertion_type" in f or "client_assertion" in f:
            return self.assertion_auth(f)
        cid, secret = f.get("client_id"), f.get("client_secret")
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                dec = base64.b64decode(auth[6:]).decode()
                cid, secret = [urllib.parse.unquote_plus(x) for x in dec.split(":", 1)]
            except (ValueError, UnicodeDecodeError):
                raise OAuthError("invalid_client", "bad Basic header", 401)
        if not cid or cid not in STATE.clients:
            raise OAuthError("invalid_client", "unknown client", 401)
        if cid in STATE.certificates:
            raise OAuthError("invalid_client", "this client proves itself with its certificate", 401)
        want = STATE.clients[cid]
        if want is not None and secret != want:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        if confidential_only and want is None:
            raise OAuthError("unauthorized_client", "public clients cannot use this grant")
        self.note += " client=%s" % cid
        return cid

    def assertion_auth(self, f):
        """RFC 7523 2.2 as Microsoft checks it: RS256, x5t of a registered
        certificate, aud = this token endpoint, iss = sub = client, unexpired,
        jti single use."""
        def refuse(why):
            raise OAuthError("invalid_client", why, 401)
        if f.get("client_assertion_type") != JWT_BEARER:
            refuse("unsupported client_assertion_type")
        if "client_secret" in f:
            refuse("a client assertion and a client secret together")
        parts = f.get("client_assertion", "").split(".")
        if len(parts) != 3:
            refuse("client_assertion is not a JWT")
        try:
            pad = lambda x: x + "=" * (-len(x) % 4)
            header = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
            claims = json.loads(base64.urlsafe_b64decode(pad(parts[1])))
            signature = base64.urlsafe_b64decode(pad(parts[2]))
        except (ValueError, UnicodeDecodeError):
            refuse("client_assertion does not decode")
        cid = f.get("client_id") or claims.get("iss")
        cert = STATE.certificates.get(cid)
        if cert is None:
            refuse("no certificate is registered for this client")
        if header.get("alg") != "RS256":
            refuse("alg must be RS256")
        thumb = base64.urlsafe_b64encode(hashlib.sha1(ssl.PEM_cert_to_DER_cert(cert)).digest()).rstrip(b"=")
        if header.get("x5t", "").encode() != thumb:
            refuse("x5t names another certificate")
        if not verify_rs256(cert, (parts[0] + "." + parts[1]).encode(), signature):
            refuse("client_assertion signature does not verify")
        now = time.time()
        if claims.get("aud") != self.base() + "/token":
            refuse("aud is not this token endpoint")
        if claims.get("iss") != cid or claims.get("sub") != cid:
            refuse("iss and sub must be the client id")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            refuse("client_assertion expired")
        if isinstance(claims.get("nbf"), int) and claims["nbf"] > now + 300:
            refuse("client_assertion not yet valid")
        jti = claims.get("jti")
        if not jti or jti in STATE.used_jti:
            refuse("client_assertion replayed (jti)")
        STATE.used_jti.add(jti)
        self.note += " client=%s assertion" % cid
        return cid

    # --- discovery ------------------------------------------------------------
    def metadata(self):
        b = self.base()
        self.reply(200, {
            "issuer": b, "authorization_endpoint": b + "/authorize", "token_endpoint": b + "/token",
            "device_authorization_endpoint": b + "/device_authorization",
            "introspection_endpoint": b + "/introspect", "revocation_endpoint": b + "/revoke",
            "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT,
                                      "client_credentials"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "offline_access", "mail"],
        })

    # --- authorization code + PKCE ----------------------------------------------
    def authorize(self):
        q = self.query
        redirect = q.get("redirect_uri", "")
        with STATE.lock:
            STATE.count("authorize")
            if q.get("client_id") not in STATE.clients:
                return self.reply(400, b"unknown client_id\n")
            if not loopback_http(redirect):
                return self.reply(400, b"redirect_uri must be a loopback http URL\n")
            params = {}
            if q.get("response_type") != "code":
                params["error"] = "unsupported_response_type"
            elif not q.get("code_challenge") or q.get("code_challenge_method") != "S256":
                params["error"] = "invalid_request"
                params["error_description"] = "PKCE with S256 is required"
            elif STATE.config["deny_next_authorize"]:
                STATE.config["deny_next_authorize"] = False
                params["error"] = "access_denied"
            else:
                code = "c_" + secrets.token_urlsafe(24)
                user = q.get("login_hint") or STATE.config["default_user"]
                STATE.codes[code] = {"client": q["client_id"], "redirect_uri": redirect,
                                     "challenge": q["code_challenge"], "scope": q.get("scope", ""),
                                     "user": user, "exp": time.time() + STATE.config["code_lifetime"]}
                params["code"] = code
                self.note += " user=%s code=%s" % (user, short(code))
            if "state" in q:
                params["state"] = q["state"]
            if "error" in params:
                self.note += " error=%s" % params["error"]
        sep = "&" if urllib.parse.urlsplit(redirect).query else "?"
        self.reply(302, None, {"Location": redirect + sep + urllib.parse.urlencode(params)})

    # --- token endpoint -----------------------------------------------------------
    def token(self):
        f = self.form()
        gt = f.get("grant_type", "")
        self.note += " grant=%s" % gt
        with STATE.lock:
            STATE.count("token_requests", gt or "(none)")
            try:
                out = self.grant(gt, f)
            except OAuthError as e:
                STATE.count("token_errors", e.error)
                raise
        self.note += " at=%s rt=%s" % (short(out["access_token"]), short(out.get("refresh_token")))
        self.reply(200, out)

    def grant(self, gt, f):
        """One token request; STATE.lock held."""
        if gt == "authorization_code":
            cid = self.client_auth(f)
            c = STATE.codes.pop(f.get("code", ""), None)  # single use, even when it fails
            if c is None or c["exp"] <= time.time() or c["client"] != cid:
                raise OAuthError("invalid_grant", "unknown, used or expired code")
            if f.get("redirect_uri") != c["redirect_uri"]:
                raise OAuthError("invalid_grant", "redirect_uri differs")
            if s256(f.get("code_verifier", "")) != c["challenge"]:
                raise OAuthError("invalid_grant", "PKCE verification failed")
            self.note += " user=%s" % c["user"]
            return STATE.issue(c["user"], cid, c["scope"])
        if gt == "refresh_token":
            cid = self.client_auth(f)
            rt = f.get("refresh_token", "")
            if rt in STATE.used_refresh:
                STATE.count("refresh_reuse")
                raise OAuthError("invalid_grant", "refresh token already used (rotated)")
            r = STATE.refresh.get(rt)
            if r is None or r["grant"] in STATE.revoked_grants or r["client"] != cid:
                raise OAuthError("invalid_grant", "unknown or revoked refresh token")
            del STATE.refresh[rt]          # rotation: the old one dies now
            STATE.used_refresh.add(rt)
            self.note += " user=%s old_rt=%s" % (r["user"], short(rt))
            return STATE.issue(r["user"], cid, r["scope"], grant=r["grant"])
        if gt == DEVICE_GRANT:
            cid = self.client_auth(f)
            d = STATE.devices.get(f.get("device_code", ""))
            if d is None or d["client"] != cid:
                raise OAuthError("invalid_grant", "unknown device_code")
            now = time.time()
            if now >= d["exp"]:
                raise OAuthError("expired_token")
            if d["status"] == "denied":
                raise OAuthError("access_denied")
            if d["status"] == "approved":
                del STATE.devices[f["device_code"]]
                self.note += " user=%s" % d["user"]
                return STATE.issue(d["user"], cid, d["scope"])
            too_fast = d["last"] is not None and now - d["last"] < d["interval"] - 0.05
            d["last"] = now
            if too_fast:
                d["interval"] += 5  # RFC 8628 3.5: +5 s for this and later polls
                raise OAuthError("slow_down", "interval is now %d s" % d["interval"])
            raise OAuthError("authorization_pending")
        if gt == "client_credentials":
            cid = self.client_auth(f, confidential_only=True)
            self.note += " app-only"
            return STATE.issue(None, cid, f.get("scope", "https://outlook.office365.com/.default"),
                               app=True)
        raise OAuthError("unsupported_grant_type", "unknown grant_type")

    # --- device flow ------------------------------------------------------------
    def device_authorization(self):
        f = self.form()
        with STATE.lock:
            cid = self.client_auth(f)
            STATE.count("device_authorizations")
            dc = "dc_" + secrets.token_urlsafe(24)
            uc = user_code()
            life = int(STATE.config["device_lifetime"])
            interval = int(STATE.config["device_interval"])
            STATE.devices[dc] = {"user_code": uc, "client": cid, "scope": f.get("scope", ""),
                                 "exp": time.time() + life, "interval": interval, "last": None,
                                 "status": "pending", "user": None}
        self.note += " user_code=%s" % uc
        v = self.base() + "/device"
        self.reply(200, {"device_code": dc, "user_code": uc, "verification_uri": v,
                         "verification_uri_complete": v + "?user_code=" + uc,
                         "expires_in": life, "interval": interval})

    def device_page(self):
        self.reply(200, b"MailPorter test bed: approve this code with POST /admin/approve_device\n")

    def find_device(self, code):
        for d in STATE.devices.values():
            if d["user_code"] == code.upper().strip():
                return d
        raise OAuthError("invalid_request", "unknown user_code")

    # --- introspection / revocation ------------------------------------------------
    def introspect(self):
        f = self.form()
        kind = self.query.get("kind", "")
        tok = f.get("token", "")
        with STATE.lock:
            STATE.count("introspections")
            info = STATE.live_access(tok)
            if info is not None and kind and (kind == "app") != info["app"]:
                info = None  # this caller only asks about the other kind of token
            if info is None:
                self.note += " token=%s active=false" % short(tok)
                return self.reply(200, {"active": False})
            STATE.count("introspections_active")
            out = {"active": True, "client_id": info["client"], "scope": info["scope"],
                   "token_type": "Bearer", "exp": int(info["exp"]), "iss": self.base()}
            if info["app"]:
                # App-only (client_credentials) tokens stand for no user: any mailbox.
                out.update({"sub": "app:" + info["client"], "app_only": True})
            else:
                out.update({"sub": info["user"], "username": info["user"], "email": info["user"]})
        self.note += " token=%s active=true sub=%s" % (short(tok), out["sub"])
        self.reply(200, out)

    def revoke(self):
        f = self.form()
        tok = f.get("token", "")
        with STATE.lock:
            self.client_auth(f)
            STATE.count("revocations")
            info = STATE.refresh.get(tok) or STATE.access.get(tok)
            if info is not None:
                if tok in STATE.refresh:
                    STATE.revoke_grant(info["grant"])  # RFC 7009 2.1: the whole grant
                else:
                    del STATE.access[tok]
        self.note += " token=%s known=%s" % (short(tok), info is not None)
        self.reply(200, b"")

    # --- admin (tests only) ----------------------------------------------------------
    def admin_config(self):
        f = self.form()
        with STATE.lock:
            for k, v in f.items():
                if k in ("deny_next_authorize", "no_refresh"):
                    STATE.config[k] = truthy(v)
                elif k == "default_user":
                    STATE.config[k] = str(v)
                elif k in STATE.config:
                    STATE.config[k] = float(v) if "." in str(v) else int(v)
                elif k == "add_client":
                    if f.get("client_certificate"):
                        STATE.certificates[str(v)] = f["client_certificate"]
                        STATE.clients[str(v)] = "(certificate)"
                    else:
                        STATE.clients[str(v)] = f.get("client_secret") or None
                elif k not in ("client_secret", "client_certificate"):
                    raise OAuthError("invalid_request", "unknown config key " + k)
            self.note += " keys=%s" % ",".join(sorted(f))
            self.reply(200, dict(STATE.config, clients=sorted(STATE.clients)))

    def admin_device(self, approve):
        f = self.form()
        with STATE.lock:
            d = self.find_device(f.get("user_code", ""))
            d["status"] = "approved" if approve else "denied"
            d["user"] = f.get("user") or STATE.config["default_user"]
        self.note += " user_code=%s %s" % (d["user_code"], d["status"])
        self.reply(200, {"status": d["status"], "user": d["user"]})

    def admin_revoke(self):
        f = self.form()
        with STATE.lock:
            n = STATE.revoke_user(f["user"])
        self.note += " user=%s grants=%d" % (f["user"], n)
        self.reply(200, {"revoked_grants": n})

    def admin_expire_access(self):
        f = self.form()
        with STATE.lock:
            n = STATE.expire_access(f["user"])
        self.note += " user=%s tokens=%d" % (f["user"], n)
        self.reply(200, {"expired_access_tokens": n})

    def admin_issue(self):
        """A token without any browser: user=, lifetime=, scope=, app_only=1."""
        f = self.form()
        app = truthy(f.get("app_only", "0"))
        life = f.get("lifetime")
        with STATE.lock:
            out = STATE.issue(None if app else f.get("user") or STATE.config["default_user"],
                              APP_CLIENT if app else f.get("client_id", PUBLIC_CLIENT),
                              f.get("scope", "openid email offline_access"),
                              lifetime=None if life in (None, "") else int(life), app=app)
        self.note += " user=%s at=%s" % (f.get("user", "(app)" if app else "(default)"),
                                         short(out["access_token"]))
        self.reply(200, out)

    def admin_stats(self):
        with STATE.lock:
            self.reply(200, json.loads(json.dumps(STATE.stats)))

    def admin_reset_stats(self):
        with STATE.lock:
            STATE.reset_stats()
        self.reply(200, {"ok": True})


GET_ROUTES = {
    "/.well-known/openid-configuration": Handler.metadata,
    "/.well-known/oauth-authorization-server": Handler.metadata,
    "/authorize": Handler.authorize,
    "/device": Handler.device_page,
    "/admin/stats": Handler.admin_stats,
}
POST_ROUTES = {
    "/token": Handler.token,
    "/device_authorization": Handler.device_authorization,
    "/introspect": Handler.introspect,
    "/revoke": Handler.revoke,
    "/admin/config": Handler.admin_config,
    "/admin/approve_device": lambda h: h.admin_device(True),
    "/admin/deny_device": lambda h: h.admin_device(False),
    "/admin/revoke": Handler.admin_revoke,
    "/admin/expire_access": Handler.admin_expire_access,
    "/admin/issue": Handler.admin_issue,
    "/admin/reset_stats": Handler.admin_reset_stats,
}
LOG_LOCK = threading.Lock()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.log_path = a.log
    with open(a.log, "a") as f:
        f.write("%s start 127.0.0.1:%d pid %d\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), a.port, os.getpid()))
    if a.pidfile:  # bound and listening: now say so
        tmp = a.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, a.pidfile)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
