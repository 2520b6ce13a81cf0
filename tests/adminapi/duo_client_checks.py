"""Drives Roster's Admin API with Duo's own client (duo_client), as a script written for Duo would.

Usage: duo_client_checks.py CONFIG_JSON
CONFIG_JSON: {"host", "port", "ca_certs" ("HTTP" or a PEM path), "ikey", "skey", "read_ikey", "read_skey",
"user_sync", "admin_sync", "synced_users"}.
Prints one line per check ("ok NAME"); any failure raises, so the exit status is non-zero.
"""
import base64
import email.utils
import hashlib
import hmac
import json
import sys

import duo_client
import duo_client.client


def admin(cfg, ikey=None, skey=None, **kw):
    return duo_client.Admin(ikey or cfg["ikey"], skey or cfg["skey"], cfg["host"],
                            ca_certs=cfg["ca_certs"], port=cfg["port"], **kw)


def refused(fn, status, code, name):
    try:
        fn()
    except RuntimeError as e:
        raw = getattr(e, "data", None)
        data = raw if isinstance(raw, dict) else json.loads(raw) if raw else {}
        assert e.status == status, f"{name}: status {e.status}, wanted {status}: {e}"
        assert data.get("code") == code, f"{name}: code {data.get('code')}, wanted {code}: {e}"
        assert data.get("stat") == "FAIL", f"{name}: {data}"
        print(f"ok {name}")
        return data
    raise AssertionError(f"{name}: was accepted")


def raw_json_post(cfg, path, body):
    """A v5-signed POST of the raw `body` bytes (which need not be UTF-8, so duo_client cannot send
    them): duo_client's canonical string, its HMAC-SHA512, its headers."""
    date = email.utils.formatdate()
    canon = "\n".join([date, "POST", cfg["host"].lower(), path, "", hashlib.sha512(body).hexdigest(),
                       hashlib.sha512(b"").hexdigest()])
    sig = hmac.new(cfg["skey"].encode(), canon.encode(), hashlib.sha512).hexdigest()
    auth = "Basic " + base64.b64encode(f"{cfg['ikey']}:{sig}".encode()).decode()
    response, data = admin(cfg)._make_request(
        "POST", path, body, {"Authorization": auth, "Date": date, "Content-Type": "application/json"})
    return response.status, json.loads(data)


def bad_input(cfg, a, v2, user_id, total):
    """Duo's 400 (40002) for what no client should send, and nothing changed."""
    # Not UTF-8: in a query string, in a form body (v2), in a JSON body (v5).
    refused(lambda: a.json_api_call("GET", "/admin/v1/users", {"username": b"\xff\xfe"}), 400, 40002,
            "non_utf8_query")
    refused(lambda: v2.json_api_call("POST", f"/admin/v1/users/{user_id}", {"notes": b"caf\xe9"}), 400, 40002,
            "non_utf8_form_body")
    status, data = raw_json_post(cfg, f"/admin/v1/users/{user_id}", b'{"notes":"caf\xe9"}')
    assert (status, data.get("code")) == (400, 40002), ("non_utf8_json_body", status, data)
    print("ok non_utf8_json_body")
    # A limit above the maximum is lowered to it (Duo: "consider the limit a request"), and the
    # metadata says where the next page starts.
    response, body = a.api_call("GET", "/admin/v1/users", {"limit": "1000", "offset": "0"})
    page, meta = a.parse_json_response_and_metadata(response, body)
    assert len(page) == 300, len(page)
    assert meta["next_offset"] == 300 and meta["total_objects"] == total, meta
    response, body = a.api_call("GET", "/admin/v1/users", {"limit": "1000", "offset": str(total - 10)})
    page, meta = a.parse_json_response_and_metadata(response, body)
    assert len(page) == 10 and "next_offset" not in meta and meta["prev_offset"] == total - 310, meta
    print("ok limit_clamped")
    for name, params in [("limit_zero", {"limit": "0"}), ("limit_negative", {"limit": "-5"}),
                         ("offset_negative", {"offset": "-1"}), ("offset_not_integer", {"offset": "1.5"}),
                         ("limit_empty", {"limit": ""})]:
        d = refused(lambda: a.json_api_call("GET", "/admin/v1/users", params), 400, 40002, name)
        assert list(params)[0] in d.get("message_detail", ""), (name, d)
    # Wrong types: a number where a status is wanted, a word or a boolean where days are wanted.
    refused(lambda: a.json_api_call("POST", f"/admin/v1/users/{user_id}", {"status": 5}), 400, 40002,
            "status_number")
    refused(lambda: a.json_api_call("POST", "/admin/v1/settings", {"pending_deletion_days": "soon"}), 400, 40002,
            "days_word")
    refused(lambda: a.json_api_call("POST", "/admin/v1/settings", {"pending_deletion_days": True}), 400, 40002,
            "days_boolean")
    refused(lambda: a.json_api_call("POST", "/admin/v1/settings", {"pending_deletion_days": 0}), 400, 40002,
            "days_out_of_range")
    assert a.get_settings()["pending_deletion_days"] == 14, "settings unchanged"
    u = a.get_user_by_id(user_id)
    assert u["notes"] == "v2" and u["status"] == "active", ("nothing changed", u)


def main():
    cfg = json.loads(sys.argv[1])
    a = admin(cfg)
    # Paging: the iterator walks every page (limit 100, next_offset) and sees every user once.
    users = list(a.get_users_iterator())
    ids = {u["user_id"] for u in users}
    assert len(users) == len(ids) >= cfg["synced_users"], (len(users), len(ids))
    page = a.get_users(limit=300, offset=0)
    assert len(page) == 300, len(page)
    print(f"ok users_iterator {len(users)}")
    synced = next(u for u in users if u["last_directory_sync"])
    assert set(["user_id", "username", "alias1", "aliases", "realname", "email", "status", "groups",
                "phones", "tokens", "created", "is_enrolled"]) <= set(synced), synced.keys()
    # Individual sync of a user the directory has: nothing to change.
    r = a.sync_user(synced["username"], cfg["user_sync"])
    assert r["result"] == "unchanged", r
    print("ok sync_user")
    # Add and update with aliases and custom attributes, look up by alias.
    created = a.add_user("api.person", realname="Api Person", email="api@example.com",
                         alias1="ap1", alias2="ap2", status="active",
                         custom_attribute_map={"costcenter": "42"})
    assert created["aliases"] == {"alias1": "ap1", "alias2": "ap2"}, created
    assert created["custom_attributes"] == {"costcenter": "42"}, created
    found = a.get_users_by_name("ap2")
    assert [u["user_id"] for u in found] == [created["user_id"]], found
    upd = a.update_user(created["user_id"], notes="via api", alias3="ap3")
    assert upd["notes"] == "via api" and upd["alias3"] == "ap3", upd
    assert a.get_user_by_id(created["user_id"])["alias3"] == "ap3"
    assert [u["user_id"] for u in a.get_users_by_name("AP3")] == [created["user_id"]], "aliases ignore case"
    print("ok add_update_user")
    by_ids = list(a.get_users_by_ids([created["user_id"], synced["user_id"]]))
    assert sorted(u["user_id"] for u in by_ids) == sorted([created["user_id"], synced["user_id"]])
    print("ok users_by_ids")
    # Groups, a group's members, a user's groups.
    groups = list(a.get_groups_generator())
    assert groups, "the synced groups are listed"
    g = a.get_group(groups[0]["group_id"], api_version=2)
    assert g["name"] == groups[0]["name"]
    members = list(a.get_group_users_iterator(groups[0]["group_id"]))
    assert all("username" in m for m in members)
    print(f"ok groups {len(groups)} members {len(members)}")
    # A group's status (Duo's Modify Group): set in any case, answered, read back; its name is the sync's.
    gid = groups[0]["group_id"]
    assert a.modify_group(gid, status="bypass")["status"] == "Bypass"
    assert a.get_group(gid, api_version=2)["status"] == "Bypass"
    d = refused(lambda: a.modify_group(gid, name="Renamed"), 400, 40002, "group_name_from_sync")
    assert "directory sync" in d.get("message_detail", ""), d
    d = refused(lambda: a.modify_group(gid, status="sleepy"), 400, 40002, "group_status_unknown")
    assert "active, bypass or disabled" in d.get("message_detail", ""), d
    refused(lambda: a.modify_group("DGNOSUCHGROUP00000000", status="active"), 404, 40401, "unknown_group")
    assert a.get_group(gid, api_version=2)["name"] == groups[0]["name"], "nothing else changed"
    assert a.modify_group(gid, status="Active")["status"] == "Active"
    print("ok modify_group_status")
    # A synced user's synced field is read-only, naming the sync.
    d = refused(lambda: a.update_user(synced["user_id"], email="other@example.com"), 400, 40002,
                "synced_field_read_only")
    assert "managed by the directory sync" in d.get("message_detail", ""), d
    # Administrators and syncadmin through api_call.
    admins = list(a.get_admins())
    synced_admin = next(x for x in admins if x["last_directory_sync"])
    r = a.json_api_call("POST", f"/admin/v1/admins/directorysync/{cfg['admin_sync']}/syncadmin",
                        {"email": synced_admin["email"]})
    assert r["result"] in ("unchanged", "updated"), r
    owner = next(x for x in admins if x["role"] == "Owner")
    refused(lambda: a.json_api_call("POST", f"/admin/v1/admins/directorysync/{cfg['admin_sync']}/syncadmin",
                                    {"email": owner["email"]}), 400, 40002, "syncadmin_refuses_owner")
    print("ok syncadmin")
    # Settings, summary, log, user syncs.
    s = a.update_settings(pending_deletion_days=14)
    assert s["pending_deletion_days"] == 14 and a.get_settings()["pending_deletion_days"] == 14
    info = a.get_info_summary()
    assert info["user_count"] == len(users) + 1, info
    log = a.get_administrator_log(mintime=0)
    assert any(e["action"] == "user_create" and e["object"] == "api.person" for e in log), log[-3:]
    assert any(e["username"].startswith("API: ") for e in log)
    assert any(e["action"] == "group_update" and e["object"] == groups[0]["name"] for e in log), log[-3:]
    syncs = a.json_api_call("GET", "/admin/v1/users/directorysync", {})
    assert any(x["directory_key"] == cfg["user_sync"] for x in syncs), syncs
    print("ok settings_info_log")
    # Signatures v2 (form bodies) as well as the default v5 (JSON bodies).
    v2 = admin(cfg, sig_version=2)
    assert len(v2.get_users(limit=5)) == 5
    v2.update_user(created["user_id"], notes="v2")
    print("ok sig_v2")
    # Bad input: nothing changes.
    refused(lambda: a.json_api_call("GET", "/admin/v1/users", {"limit": "301x"}), 400, 40002, "limit_not_a_number")
    refused(lambda: a.json_api_call("GET", "/admin/v1/users", {"bogus": "1"}), 400, 40002, "unknown_param")
    refused(lambda: a.json_api_call("POST", "/admin/v1/users", {"username": "x", "status": "sleeping"}),
            400, 40002, "wrong_status")
    refused(lambda: a.json_api_call("POST", f"/admin/v1/users/{created['user_id']}", {"notes": "n" * 2_000_000}),
            413, 40002, "oversized_body")
    assert a.get_user_by_id(created["user_id"])["notes"] == "v2", "nothing changed"
    bad_input(cfg, a, v2, created["user_id"], len(users) + 1)
    refused(lambda: a.get_user_by_id("DUNOSUCHUSER000000000"), 404, 40401, "unknown_user")
    # Refusals of the credentials.
    refused(lambda: admin(cfg, ikey="DI" + "X" * 18).get_users(limit=1), 401, 40102, "wrong_ikey")
    refused(lambda: admin(cfg, skey="x" * 40).get_users(limit=1), 401, 40103, "bad_signature")
    real = email.utils.formatdate
    try:
        email.utils.formatdate = lambda *a_, **k: "Tue, 21 Aug 2012 17:29:18 -0000"
        refused(lambda: a.get_users(limit=1), 401, 40104, "old_date")
        fixed = real()
        email.utils.formatdate = lambda *a_, **k: fixed
        v2.update_user(created["user_id"], notes="once")
        refused(lambda: v2.update_user(created["user_id"], notes="once"), 401, 40103, "replayed_post")
        a.get_user_by_id(created["user_id"])
        a.get_user_by_id(created["user_id"])
        print("ok repeated_get")
    finally:
        email.utils.formatdate = real
    ro = admin(cfg, ikey=cfg["read_ikey"], skey=cfg["read_skey"])
    assert ro.get_users(limit=1)
    refused(lambda: ro.add_user("nope"), 403, 40301, "missing_grant")
    refused(lambda: ro.modify_group(gid, status="disabled"), 403, 40301, "missing_grant_group")
    assert a.get_group(gid, api_version=2)["status"] == "Active", "the refused change changed nothing"
    assert not a.get_users_by_name("nope"), "nothing was added"
    # Delete skips the trash.
    a.delete_user(created["user_id"])
    refused(lambda: a.get_user_by_id(created["user_id"]), 404, 40401, "deleted_for_good")
    assert not a.get_users_by_name("ap2"), "a deleted user's aliases find nobody"
    print("ALL OK")


if __name__ == "__main__":
    main()
