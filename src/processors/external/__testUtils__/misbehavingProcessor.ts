import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An external processor in Python whose discoveries misbehave by id:
 * `ok` (one valid version, one the checks must drop), `crash`, `hang`,
 * `garbage`, `huge`, `fetch` (reads `params.config.url` through the host).
 * `describeVersion` answers version 1.0 only.
 * Environment: `SCHEME` (default pep440) is the scheme it declares,
 * `DESCRIBE=1` declares that it describes versions on demand,
 * `PID_FILE` gets its pid and a grandchild's, `STUBBORN=1` ignores EOF and
 * SIGTERM.
 */
const SCRIPT = String.raw`
import json, os, signal, subprocess, sys, threading, time

lock = threading.Lock()
waiting = {}

def send(message):
    with lock:
        sys.stdout.write(json.dumps(message) + "\n"); sys.stdout.flush()

def fetch(url):
    key = "f%d" % threading.get_ident()
    event = threading.Event()
    waiting[key] = [event, None]
    send({"id": key, "method": "fetch", "params": {"url": url}})
    event.wait(10)
    return waiting.pop(key)[1]

def discover(rid, params):
    package = params["id"]
    if package == "crash":
        os._exit(9)
    if package == "hang":
        time.sleep(30)
    if package == "garbage":
        with lock:
            sys.stdout.write("Traceback (most recent call last):\n"); sys.stdout.flush()
        return
    if package == "huge":
        send({"id": rid, "result": {"versions": [{"version": "1.0", "files": [], "dependencies": [], "pad": "x" * 200000}]}})
        return
    if package == "fetch":
        answer = fetch(params["config"]["url"])
        if "error" in answer:
            send({"id": rid, "error": {"message": answer["error"]["message"], "code": "failed"}})
        else:
            send({"id": rid, "result": {"versions": [{"version": "1.0", "files": [], "dependencies": []}], "tags": {"status": str(answer["result"]["status"])}}})
        return
    send({"id": rid, "result": {"versions": [
        {"version": "1.0", "files": [{"name": "ok-1.0.tar.gz", "uri": "http://127.0.0.1:1/ok-1.0.tar.gz", "path": "ok/ok-1.0.tar.gz",
                                      "integrity": {"algorithm": "sha256", "digest": "ab" * 32}}],
         "dependencies": [{"processor": "misbehaving", "id": "dep", "range": ">=1", "kind": "runtime"}]},
        {"version": "2.0", "files": [{"name": "../escape", "uri": "file:///etc/passwd", "path": "x"}], "dependencies": []},
    ]}})

def handle(message):
    rid, method, params = message.get("id"), message.get("method"), message.get("params") or {}
    if method == "handshake":
        pid_file = os.environ.get("PID_FILE")
        if pid_file:
            child = subprocess.Popen(["sleep", "60"])
            with open(pid_file, "w") as f:
                f.write("%d %d" % (os.getpid(), child.pid))
        send({"id": rid, "result": {"protocolVersion": 1, "versionScheme": os.environ.get("SCHEME", "pep440"),
                                    "describeVersion": os.environ.get("DESCRIBE") == "1"}})
    elif method == "discover":
        discover(rid, params)
    elif method == "describeVersion":
        if params["version"] != "1.0":
            send({"id": rid, "error": {"message": "no version %s of %s" % (params["version"], params["id"]), "code": "not-found"}})
        else:
            send({"id": rid, "result": {"version": "1.0", "files": [{"name": "described.tar.gz", "uri": "http://127.0.0.1:1/d.tar.gz",
                  "path": "d/described.tar.gz", "integrity": {"algorithm": "sha256", "digest": "cd" * 32}}], "dependencies": []}})

if os.environ.get("STUBBORN") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
for line in sys.stdin:
    message = json.loads(line)
    if "method" not in message:
        entry = waiting.get(message["id"])
        if entry:
            entry[1] = message
            entry[0].set()
        continue
    if "id" in message:
        threading.Thread(target=handle, args=(message,), daemon=True).start()
if os.environ.get("STUBBORN") == "1":
    while True:
        time.sleep(1)
`;

/** Writes the misbehaving processor into a fresh temporary directory; its command line. */
export function writeMisbehavingProcessor(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'backpack-processor-'));
  const file = join(dir, 'processor.py');
  writeFileSync(file, SCRIPT);
  return ['python3', '-u', file];
}
