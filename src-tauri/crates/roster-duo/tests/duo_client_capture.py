"""Requests exactly as the real duo_client builds them, captured instead of sent.

Prints one JSON object per line: sig_version, digest, method, uri, headers, body. The Rust test
(tests/duo_client.rs) verifies each with roster-duo. argv: ikey skey host.
"""
import hashlib
import json
import sys

import duo_client


class Response:
    status = 200
    reason = "OK"


def capture(client, sig_version, digest):
    def make_request(method, uri, body, headers):
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        print(json.dumps({
            "sig_version": sig_version,
            "digest": digest,
            "method": method,
            "uri": uri,
            "headers": {k.decode("ascii"): v.decode("ascii") for k, v in headers.items()},
            "body": body or "",
        }))
        return Response(), b'{"stat": "OK", "response": []}'
    client._make_request = make_request


def calls(admin):
    admin.get_users(limit=10, offset=0)
    list(admin.get_users_by_names(["j smith", "a+b@example.com"]))
    list(admin.get_users_by_ids(["DU1", "DU2"]))
    admin.get_user_by_id("DU1")
    admin.add_user("jsmith", realname="Joe Smith", notes="\u00fc & = + ~", email="j@example.com",
                   status="active", alias1="joe", custom_attribute_map={"dept": "Sales"})
    admin.update_user("DU1", realname="Joe  Smith", status="disabled")
    admin.delete_user("DU1")
    admin.get_user_groups("DU1", limit=5, offset=0)
    admin.add_user_group("DU1", "DG1")
    admin.delete_user_group("DU1", "DG1")
    admin.get_groups(limit=5, offset=0)
    admin.get_group("DG1", api_version=1)
    admin.get_group("DG1", api_version=2)
    admin.get_group_users("DG1", limit=5, offset=0)
    admin.get_admins(limit=5, offset=0)
    admin.get_admin("DE1")
    admin.sync_user("jsmith", "DK1")
    admin.json_api_call("POST", "/admin/v1/admins/directorysync/DK1/syncadmin",
                        {"email": "owner@example.com"})
    admin.json_api_call("GET", "/admin/v1/users/directorysync", {})
    admin.get_settings()
    admin.update_settings(lockout_threshold=10, pending_deletion_days=7)
    admin.get_info_summary()
    admin.get_administrator_log(mintime=1579878582)
    admin.json_api_call("GET", "/admin/v2/logs/administrator",
                        {"mintime": "1000", "maxtime": "2000", "limit": "50",
                         "next_offset": "1500,abc"})


def main():
    ikey, skey, host = sys.argv[1:4]
    for sig_version, digest in [(5, "sha512"), (4, "sha512"), (2, "sha512"), (2, "sha1"), (1, "sha1")]:
        admin = duo_client.Admin(ikey, skey, host, ca_certs="HTTP", port=8443,
                                 sig_version=sig_version,
                                 digestmod=getattr(hashlib, digest))
        capture(admin, sig_version, digest)
        calls(admin)


main()
