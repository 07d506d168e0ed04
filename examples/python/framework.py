#!/usr/bin/env python3
"""A Mesos v1 HTTP scheduler using only the Python standard library.

Usage: framework.py MASTER_URL [TASKS] [TIMEOUT_SECONDS]
  e.g. framework.py http://127.0.0.1:5050 3

It SUBSCRIBEs (reading the RecordIO event stream in a thread), launches TASKS tasks running `echo hello-<i>`
(cpus 0.1, mem 32) on the offers it gets, declines what it does not use, ACKNOWLEDGEs every update that carries a
uuid, RECONCILEs once when everything is launched, and TEARDOWNs when all tasks are TASK_FINISHED.
Exit status 0 on success; 1 with a message when a task fails or the master reports an ERROR; 2 on timeout.
"""
import http.client
import json
import queue
import sys
import threading
import time
import urllib.parse
import urllib.request

PATH = "/api/v1/scheduler"
TASK_CPUS, TASK_MEM = 0.1, 32.0
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE",
            "TASK_GONE_BY_OPERATOR"}


def log(*args):
    print(*args, flush=True)


class Scheduler:
    def __init__(self, master_url, task_count):
        self.url = urllib.parse.urlsplit(master_url)
        self.events = queue.Queue()
        self.stream_id = None
        self.framework_id = None
        self.to_launch = [f"task-{i}" for i in range(task_count)]
        self.task_count = task_count
        self.finished = set()
        self.reconciled = False

    # ---- the event stream ----
    def subscribe(self):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port or 5050, timeout=None)
        body = {
            "type": "SUBSCRIBE",
            "subscribe": {"framework_info": {"user": "root", "name": "python-example", "roles": ["*"],
                                             "capabilities": [{"type": "MULTI_ROLE"}], "failover_timeout": 0}},
        }
        conn.request("POST", PATH, json.dumps(body), {"Content-Type": "application/json", "Accept": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise SystemExit(f"SUBSCRIBE failed: {resp.status} {resp.read().decode(errors='replace')}")
        self.stream_id = resp.getheader("Mesos-Stream-Id")
        threading.Thread(target=self._read_stream, args=(resp,), daemon=True).start()

    def _read_stream(self, resp):
        try:
            while True:
                # RecordIO: "<length>\n<length bytes of JSON>"
                digits = b""
                while True:
                    c = resp.read(1)
                    if not c:
                        self.events.put(None)
                        return
                    if c == b"\n":
                        break
                    digits += c
                record = resp.read(int(digits))
                self.events.put(json.loads(record))
        except Exception as e:  # the stream broke
            self.events.put({"type": "_STREAM_FAILED", "message": repr(e)})

    # ---- calls ----
    def call(self, type_, **fields):
        body = {"type": type_, "framework_id": {"value": self.framework_id}}
        body.update(fields)
        req = urllib.request.Request(urllib.parse.urlunsplit((self.url.scheme, self.url.netloc, PATH, "", "")),
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Mesos-Stream-Id": self.stream_id})
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 202:
                raise RuntimeError(f"{type_} answered {r.status}")

    # ---- handlers ----
    def on_offers(self, offers):
        for offer in offers:
            cpus = sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "cpus" and r.get("type") == "SCALAR")
            mem = sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "mem" and r.get("type") == "SCALAR")
            tasks = []
            while self.to_launch and cpus >= TASK_CPUS - 1e-9 and mem >= TASK_MEM:
                task_id = self.to_launch.pop(0)
                i = task_id.split("-")[1]
                tasks.append({
                    "name": task_id,
                    "task_id": {"value": task_id},
                    "agent_id": offer["agent_id"],
                    "resources": [
                        {"name": "cpus", "type": "SCALAR", "scalar": {"value": TASK_CPUS}},
                        {"name": "mem", "type": "SCALAR", "scalar": {"value": TASK_MEM}},
                    ],
                    "command": {"value": f"echo hello-{i}", "shell": True},
                })
                cpus -= TASK_CPUS
                mem -= TASK_MEM
            if tasks:
                log(f"launching {', '.join(t['task_id']['value'] for t in tasks)} on {offer['hostname']}")
                self.call("ACCEPT", accept={
                    "offer_ids": [offer["id"]],
                    "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
                    "filters": {"refuse_seconds": 1},
                })
            else:
                self.call("DECLINE", decline={"offer_ids": [offer["id"]], "filters": {"refuse_seconds": 30}})
        if not self.to_launch and not self.reconciled:
            self.reconciled = True
            self.call("SUPPRESS")
            self.call("RECONCILE", reconcile={"tasks": []})

    def on_update(self, status):
        task_id, state = status["task_id"]["value"], status["state"]
        reason = status.get("reason", "")
        log(f"update {task_id} {state} {reason} {status.get('message', '')}".rstrip())
        if "uuid" in status:
            self.call("ACKNOWLEDGE", acknowledge={"agent_id": status["agent_id"], "task_id": status["task_id"],
                                                  "uuid": status["uuid"]})
        if reason == "REASON_RECONCILIATION":
            return
        if state == "TASK_FINISHED":
            self.finished.add(task_id)
        elif state in TERMINAL:
            raise SystemExit(f"task {task_id} ended {state}: {status.get('message', '')}")

    def run(self, timeout):
        deadline = time.monotonic() + timeout
        self.subscribe()
        while len(self.finished) < self.task_count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log(f"timed out after {timeout}s with {sorted(self.finished)} finished")
                return 2
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if event is None:
                raise SystemExit("the master closed the event stream")
            kind = event["type"]
            if kind == "SUBSCRIBED":
                self.framework_id = event["subscribed"]["framework_id"]["value"]
                log(f"subscribed as {self.framework_id} (stream {self.stream_id}, heartbeat "
                    f"{event['subscribed'].get('heartbeat_interval_seconds')}s)")
            elif kind == "OFFERS":
                self.on_offers(event["offers"].get("offers", []))
            elif kind == "UPDATE":
                self.on_update(event["update"]["status"])
            elif kind == "RESCIND":
                log(f"offer {event['rescind']['offer_id']['value']} rescinded")
            elif kind == "ERROR":
                raise SystemExit(f"ERROR from the master: {event['error']['message']}")
            elif kind == "_STREAM_FAILED":
                raise SystemExit(f"event stream failed: {event['message']}")
            # HEARTBEAT and others: nothing to do
        log(f"all {self.task_count} tasks finished")
        self.call("TEARDOWN")
        return 0


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60
    return Scheduler(sys.argv[1], tasks).run(timeout)


if __name__ == "__main__":
    sys.exit(main())
