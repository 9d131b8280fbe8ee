import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';

/**
 * A stdio plugin in Python whose methods misbehave on request, for the
 * host's tests: `echo`, `pid`, `block`/`release` (proves concurrency),
 * `sleep`, `crash`, `garbage`, `huge`, `env`, `spawn` (a grandchild), `chatty`,
 * `callHost`. Environment: `START=crash|garbage|silent` spoils the start,
 * `PROTOCOL` sets the version it answers, `STUBBORN=1` ignores EOF and
 * SIGTERM.
 */
const SCRIPT = String.raw`
import json, os, signal, subprocess, sys, threading, time

out_lock = threading.Lock()
released = threading.Event()
host_answers = {}
host_events = {}

def send(message):
    with out_lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

def call_host(method, params):
    key = "p%d" % threading.get_ident()
    host_events[key] = threading.Event()
    send({"id": key, "method": method, "params": params})
    host_events[key].wait()
    return host_answers.pop(key)

def handle(message):
    rid, method, params = message.get("id"), message.get("method"), message.get("params") or {}
    if method == "handshake":
        start = os.environ.get("START")
        if start == "crash":
            os._exit(3)
        if start == "garbage":
            with out_lock:
                sys.stdout.write("not json at all\n"); sys.stdout.flush()
            return
        if start == "silent":
            return
        send({"id": rid, "result": {"protocolVersion": int(os.environ.get("PROTOCOL", "1")), "name": "test"}})
    elif method == "echo":
        send({"id": rid, "result": params})
    elif method == "pid":
        send({"id": rid, "result": os.getpid()})
    elif method == "block":
        released.wait(10)
        send({"id": rid, "result": "unblocked"})
    elif method == "release":
        released.set()
        send({"id": rid, "result": "released"})
    elif method == "sleep":
        time.sleep(params.get("ms", 0) / 1000.0)
        send({"id": rid, "result": "slept"})
    elif method == "crash":
        sys.stderr.write("crashing on purpose\n"); sys.stderr.flush()
        os._exit(7)
    elif method == "garbage":
        with out_lock:
            sys.stdout.write("<html>oops</html>\n"); sys.stdout.flush()
    elif method == "huge":
        send({"id": rid, "result": "x" * params["bytes"]})
    elif method == "env":
        send({"id": rid, "result": dict(os.environ)})
    elif method == "spawn":
        child = subprocess.Popen(["sleep", "60"])
        send({"id": rid, "result": child.pid})
    elif method == "callHost":
        answer = call_host(params["method"], params.get("params"))
        send({"id": rid, "result": answer})
    elif method == "chatty":
        for i in range(params["lines"]):
            sys.stderr.write("chat %d\n" % i)
        sys.stderr.flush()
        send({"id": rid, "result": "done"})
    elif method == "fail":
        send({"id": rid, "error": {"message": "no such thing", "code": "not-found"}})
    elif rid is not None:
        send({"id": rid, "error": {"message": "unknown method " + str(method), "code": "method-not-found"}})

def main():
    if os.environ.get("STUBBORN") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for line in sys.stdin:
        message = json.loads(line)
        if "method" not in message:
            key = message["id"]
            host_answers[key] = message
            host_events[key].set()
            continue
        threading.Thread(target=handle, args=(message,), daemon=True).start()
    if os.environ.get("STUBBORN") == "1":
        while True:
            time.sleep(1)

main()
`;

/** Writes the test plugin into a fresh temporary directory; its command line. */
export function writeTestPlugin(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'backpack-plugin-'));
  const file = join(dir, 'plugin.py');
  writeFileSync(file, SCRIPT);
  return ['python3', '-u', file];
}

/** A logger that keeps what it was told, for assertions. */
export function collectingLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = [];
  const logger: LoggerService & { lines: string[] } = {
    lines,
    error: message => void lines.push(`error: ${message}`),
    warn: message => void lines.push(`warn: ${message}`),
    info: message => void lines.push(`info: ${message}`),
    debug: message => void lines.push(`debug: ${message}`),
    child: () => logger,
  };
  return logger;
}

/** Whether a process with this id exists (and is not a zombie we could still signal). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` holds, polling; throws after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}
