#!/usr/bin/python3
"""A stand-in for the user's browser in sign-in tests (BROWSER=this script).

Opens the URL it is given and follows redirects the way a browser does: the
authorization server's 302 leads to MailPorter's loopback redirect, which
ends the sign-in. Loopback only: no proxies, and a URL off 127.0.0.0/8 is
refused. Writes what happened to $MAILPORTER_BROWSER_LOG when set."""
import os
import sys
import urllib.parse
import urllib.request


def main():
    url = sys.argv[1]
    host = urllib.parse.urlsplit(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        sys.exit("browser stand-in: refusing a non-loopback URL")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=20) as r:
            body = r.read(4096).decode("utf-8", "replace")
            result = "%d %s" % (r.status, body)
    except urllib.error.HTTPError as e:
        result = "%d %s" % (e.code, e.read(4096).decode("utf-8", "replace"))
    except Exception as e:  # a test reads the log to say what went wrong
        result = "error %s" % e
    log = os.environ.get("MAILPORTER_BROWSER_LOG")
    if log:
        with open(log, "a") as f:
            f.write(result.replace("\n", " ") + "\n")


if __name__ == "__main__":
    main()
