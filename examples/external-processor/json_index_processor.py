#!/usr/bin/env python3
"""A complete Backpack external processor, in plain Python 3 (stdlib only).

It serves a small ecosystem: packages described by a static JSON index,
one document per package at ``<INDEX_URL>/<name>/index.json``::

    {
      "versions": {
        "1.0.0": {
          "published": "2024-01-01T00:00:00Z",
          "files": [{"name": "hello-1.0.0.tar.gz", "url": "hello-1.0.0.tar.gz",
                     "sha256": "<hex>", "size": 123}],
          "dependencies": {"greeting": "^1.0.0"}
        }
      },
      "tags": {"latest": "1.0.0"}
    }

File URLs may be relative to the document. Versions are semver.

Protocol (Backpack processor protocol, version 1): one JSON object per line
on stdin (from Backpack) and stdout (to Backpack); logs go to stderr.

- ``handshake``: answer the protocol version and the version scheme.
- ``discover`` ``{id, config, validators}``: answer ``{versions, tags,
  validators}`` or ``{notModified: true}``; errors ``{message, code}`` with
  code ``not-found`` or ``invalid-input`` where they apply.
- This process may call Backpack's ``fetch`` ``{url, accept, validators}``
  to read upstream documents through Backpack's host policy; it needs no
  network access of its own.
- ``cancel`` notifications name requests Backpack gave up on.
- End of stdin means stop.

Requests may arrive concurrently: each is served on its own thread, and
lines are written under a lock.
"""

import json
import os
import re
import sys
import threading
import urllib.parse

INDEX_URL = os.environ.get("INDEX_URL", "").rstrip("/") + "/"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")

_out = threading.Lock()
_calls = {}  # our request id -> [event, answer]
_calls_lock = threading.Lock()
_next_call = [0]


def send(message):
    line = json.dumps(message, separators=(",", ":"))
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class Failure(Exception):
    def __init__(self, message, code="failed"):
        super().__init__(message)
        self.code = code


def call_backpack(method, params):
    """Sends a request to Backpack and waits for its answer."""
    with _calls_lock:
        _next_call[0] += 1
        call_id = "c%d" % _next_call[0]
        waiter = [threading.Event(), None]
        _calls[call_id] = waiter
    send({"id": call_id, "method": method, "params": params})
    if not waiter[0].wait(120):
        raise Failure("Backpack did not answer %s" % method)
    answer = waiter[1]
    if "error" in answer:
        raise Failure("%s failed: %s" % (method, answer["error"].get("message")))
    return answer["result"]


def discover(params):
    package = params.get("id")
    if not isinstance(package, str) or not NAME.match(package):
        raise Failure("id: %r is not a package name of this index" % (package,), "invalid-input")
    if params.get("config"):
        raise Failure("config: this processor takes no config", "invalid-input")
    url = urllib.parse.urljoin(INDEX_URL, urllib.parse.quote(package) + "/index.json")
    answer = call_backpack("fetch", {
        "url": url,
        "accept": "application/json",
        "validators": params.get("validators") or {},
    })
    if answer["notModified"]:
        return {"notModified": True}
    if answer["status"] == 404:
        raise Failure("package %s is not in the index" % package, "not-found")
    if answer["status"] != 200:
        raise Failure("the index answered %d for %s" % (answer["status"], package))
    try:
        document = json.loads(answer["body"])
    except ValueError:
        raise Failure("the index document of %s is not JSON" % package)

    versions = []
    for version, release in (document.get("versions") or {}).items():
        files = []
        for entry in release.get("files") or []:
            described = {
                "name": entry["name"],
                # Relative to the document that listed it, as a browser would resolve it.
                "uri": urllib.parse.urljoin(answer["url"], entry["url"]),
                "path": "%s/%s/%s" % (package, version, entry["name"]),
                "integrity": {"algorithm": "sha256", "digest": entry["sha256"]},
            }
            if isinstance(entry.get("size"), int):
                described["size"] = entry["size"]
            files.append(described)
        dependencies = [
            {"processor": PROCESSOR, "id": name, "range": rng, "kind": "runtime"}
            for name, rng in (release.get("dependencies") or {}).items()
        ]
        described = {"version": version, "files": files, "dependencies": dependencies}
        if release.get("published"):
            described["publishedAt"] = release["published"]
        versions.append(described)
    return {
        "versions": versions,
        "tags": document.get("tags") or {},
        "validators": answer.get("validators") or {},
    }


PROCESSOR = "json-index"  # replaced by the name Backpack gives in the handshake


def handle(message):
    global PROCESSOR
    request_id, method = message.get("id"), message.get("method")
    params = message.get("params") or {}
    try:
        if method == "handshake":
            if 1 not in params.get("protocolVersions", []):
                raise Failure("this processor speaks protocol version 1 only")
            PROCESSOR = params.get("processor") or PROCESSOR
            result = {
                "protocolVersion": 1,
                "versionScheme": "semver",
                "description": "Packages of a static JSON index (example external processor)",
                "configKeys": [],
                # Backpack lower-cases ids, then checks them against this
                # pattern (RE2 syntax, matched whole), before asking us.
                "ids": {"lowercase": True, "pattern": NAME.pattern[1:-1]},
            }
        elif method == "discover":
            result = discover(params)
        else:
            raise Failure("unknown method %s" % method, "method-not-found")
        send({"id": request_id, "result": result})
    except Failure as failure:
        send({"id": request_id, "error": {"message": str(failure), "code": failure.code}})
    except Exception as error:  # a bug here must fail the request, not the process
        log("discover failed: %r" % (error,))
        send({"id": request_id, "error": {"message": "internal error: %s" % error, "code": "failed"}})


def main():
    if INDEX_URL == "/":
        log("INDEX_URL is not set")
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if "method" not in message:
            # The answer to one of our calls to Backpack.
            with _calls_lock:
                waiter = _calls.pop(message.get("id"), None)
            if waiter:
                waiter[1] = message
                waiter[0].set()
            continue
        if "id" not in message:
            continue  # a notification, e.g. cancel: nothing to stop here
        threading.Thread(target=handle, args=(message,), daemon=True).start()
    # End of stdin: Backpack asks us to stop.


if __name__ == "__main__":
    main()
