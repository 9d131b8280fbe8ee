#!/usr/bin/env python3
"""A complete Backpack admission plugin, in plain Python 3 (stdlib only).

It decides by rules, read as JSON from the file named by ``RULES_FILE``
(or from ``RULES`` itself)::

    [
      {"id": "^evil-", "decision": "deny", "reason": "known typosquat"},
      {"processor": "pypi", "license": "GPL", "decision": "pending-approval",
       "reason": "GPL needs a review"},
      {"maxPathLength": 5, "decision": "deny", "reason": "dependency path too deep"}
    ]

Each rule's ``processor`` is compared exactly, ``id``, ``version`` and
``license`` are regular expressions searched in the version's fields, and
``maxPathLength`` matches versions reached through a longer dependency
path. The first rule whose every condition matches decides; a version no
rule matches is allowed.

Protocol (``backpack-admission``, version 1): one JSON object per line on
stdin (from Backpack) and stdout (to Backpack); logs go to stderr.

- ``handshake`` ``{protocol, protocolVersions}``: answer
  ``{"protocolVersion": 1}``.
- ``check`` ``{processor, id, version, config, metadata, path}`` where
  ``metadata`` is ``{license, publishedAt, deprecated, yanked, files:
  [{name, size, integrity}]}`` (fields absent when unknown) and ``path``
  the dependents from a root, each ``{processor, id, version, range}``:
  answer ``{"decision": "allow" | "deny" | "pending-approval",
  "reason": "…"}`` (a reason is required unless allowed). An error
  answer ``{"error": {"message": …}}`` fails the check, which denies the
  version for now; it is asked again later.
- ``cancel`` notifications name requests Backpack gave up on.
- End of stdin means stop.
"""

import json
import os
import re
import sys


def load_rules():
    text = os.environ.get("RULES")
    path = os.environ.get("RULES_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    rules = json.loads(text or "[]")
    if not isinstance(rules, list):
        raise ValueError("the rules must be a JSON list")
    return rules


def matches(rule, params):
    if "processor" in rule and rule["processor"] != params.get("processor"):
        return False
    fields = {
        "id": params.get("id", ""),
        "version": params.get("version", ""),
        "license": (params.get("metadata") or {}).get("license") or "",
    }
    for name, value in fields.items():
        if name in rule and not re.search(rule[name], value):
            return False
    if "maxPathLength" in rule and len(params.get("path") or []) <= rule["maxPathLength"]:
        return False
    return True


def check(rules, params):
    for rule in rules:
        if matches(rule, params):
            decision = rule.get("decision", "deny")
            reason = rule.get("reason") or "matched rule %d" % rules.index(rule)
            return {"decision": decision, "reason": reason}
    return {"decision": "allow"}


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    rules = load_rules()
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            continue  # a notification: nothing is running long enough to cancel
        try:
            if method == "handshake":
                result = {"protocolVersion": 1}
            elif method == "check":
                result = check(rules, message.get("params") or {})
            else:
                raise ValueError("unknown method %r" % method)
            send({"id": request_id, "result": result})
        except Exception as error:  # the request fails, the plugin lives on
            print("admission plugin: %s" % error, file=sys.stderr)
            send({"id": request_id, "error": {"message": str(error)}})


if __name__ == "__main__":
    main()
