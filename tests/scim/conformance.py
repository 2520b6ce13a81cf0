"""Runs the real SCIM conformance tester (scim2-tester) against a SCIM base URL and prints one line per check.

Usage: conformance.py BASE_URL TOKEN [--ca-cert PEM]

Exit status 0 only if every check is SUCCESS (a check the README lists as not applying is reported, not
waived here: the Rust test that runs this decides). Each line is "STATUS<TAB>title<TAB>reason". The token is
read from the command line by the test harness only; it is never printed.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, token = args[0], args[1]
    verify: object = True
    if "--ca-cert" in args:
        verify = args[args.index("--ca-cert") + 1]
    http = Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        verify=verify,
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client, resource_types=["User", "Group"])
    ok = True
    for r in results:
        if r.status != Status.SUCCESS:
            ok = False
        reason = (r.reason or "").replace("\n", " ").replace("\t", " ")
        print(f"{r.status.name}\t{r.title}\t{reason}")
    print(f"{len(results)} checks", file=sys.stderr)
    return 0 if ok and results else 1


if __name__ == "__main__":
    sys.exit(main())
