"""Individual syncs through Duo's own client (duo_client's sync_user) against a directory sync that reads a
real OpenLDAP slapd, after the test changed the directory: a changed user is updated, a user removed from
the synced groups is sent to the trash, a user nobody touched is unchanged.

Usage: duo_client_sync_checks.py CONFIG_JSON
CONFIG_JSON: {"host", "port", "ca_certs", "ikey", "skey", "user_sync", "changed" (username),
"changed_email" (its new email), "removed" (username), "untouched" (username)}.
Prints one line per check ("ok NAME") and "ALL OK"; any failure raises.
"""
import json
import sys
import time

import duo_client


def main():
    cfg = json.loads(sys.argv[1])
    a = duo_client.Admin(cfg["ikey"], cfg["skey"], cfg["host"], ca_certs=cfg["ca_certs"], port=cfg["port"])

    def user(name):
        found = a.get_users_by_name(name)
        assert len(found) == 1, (name, found)
        return found[0]

    before = user(cfg["changed"])
    assert before["email"] != cfg["changed_email"], before
    r = a.sync_user(cfg["changed"], cfg["user_sync"])
    assert r["result"] == "updated", r
    after = user(cfg["changed"])
    assert after["email"] == cfg["changed_email"], after
    assert after["user_id"] == before["user_id"], "the same user, changed"
    print("ok sync_user_updated")

    assert user(cfg["removed"])["status"] == "active"
    r = a.sync_user(cfg["removed"], cfg["user_sync"])
    assert r["result"] == "sent to the trash", r
    assert user(cfg["removed"])["status"] == "pending deletion"
    print("ok sync_user_trashed")

    r = a.sync_user(cfg["untouched"], cfg["user_sync"])
    assert r["result"] == "unchanged", r
    # The same POST again: duo_client dates requests to the second, so within the second of the first one
    # it would carry the same signature and be refused as a replay (roster-duo's replay.rs). Syncs are fast
    # enough now for that to happen: wait for the next second.
    time.sleep(1.0 - time.time() % 1.0 + 0.05)
    r = a.sync_user(cfg["changed"], cfg["user_sync"])
    assert r["result"] == "unchanged", ("a second sync has nothing left to do", r)
    print("ok sync_user_unchanged")
    print("ALL OK")


if __name__ == "__main__":
    main()
