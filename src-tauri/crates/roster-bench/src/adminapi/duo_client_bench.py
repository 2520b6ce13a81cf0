"""roster-bench adminapi's client: Duo's own duo_client against Roster's Admin API, timing each request.

Usage: python - CONFIG_JSON (the script on stdin). CONFIG_JSON: {"host", "port", "ikey", "skey", "phase":
"list" | "syncuser", "limit" (list: the iterator's page size), "user_sync", "usernames" (syncuser)}.
Prints one JSON line: {"objects", "wall" (s), "latencies" (s, per request), "results" (syncuser: count
per result)}.
"""
import json
import sys
import time

import duo_client

cfg = json.loads(sys.argv[1])
a = duo_client.Admin(cfg["ikey"], cfg["skey"], cfg["host"], ca_certs="HTTP", port=cfg["port"],
                     paging_limit=cfg.get("limit", 100))
latencies = []
send = a._make_request


def timed(*args, **kwargs):
    # One request as duo_client makes it: connect, send, read the answer, close.
    t = time.perf_counter()
    answer = send(*args, **kwargs)
    latencies.append(time.perf_counter() - t)
    return answer


a._make_request = timed
results = {}
start = time.perf_counter()
if cfg["phase"] == "list":
    seen = set()
    for u in a.get_users_iterator():
        seen.add(u["user_id"])
    objects = len(seen)
else:
    for name in cfg["usernames"]:
        r = a.sync_user(name, cfg["user_sync"])
        results[r["result"]] = results.get(r["result"], 0) + 1
    objects = len(cfg["usernames"])
wall = time.perf_counter() - start
print(json.dumps({"objects": objects, "wall": wall, "latencies": latencies, "results": results}))
