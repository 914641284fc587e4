#!/usr/bin/python3
"""Clusters, tags and account settings survive a restart (SIGTERM) and a
kill -9 right after the responses; a damaged store stops berth-control from
starting, with the store's message."""
import os
import signal

import berth_compat as bc


def main(s):
    b = s.berth()
    b.start()
    ecs = s.client(b)
    ecs.create_cluster(clusterName="kept", tags=[{"key": "team", "value": "core"}],
                       settings=[{"name": "containerInsights", "value": "enabled"}])
    ecs.create_cluster(clusterName="gone")
    ecs.delete_cluster(cluster="gone")
    ecs.put_account_setting_default(name="containerInsights", value="enabled")
    bc.expect_eq(b.stop(), 0, "SIGTERM exit status")
    bc.expect_in("berth-control stopped", b.log_text(), "graceful shutdown logged")

    b.start()
    bc.expect_in("2 clusters", b.log_text(), "ready line counts the loaded clusters")
    ecs = s.client(b)
    got = ecs.describe_clusters(clusters=["kept", "gone"], include=["TAGS", "SETTINGS"])
    by_name = {c["clusterName"]: c for c in got["clusters"]}
    bc.expect_eq(by_name["kept"]["status"], "ACTIVE", "kept survives")
    bc.expect_eq(by_name["kept"]["tags"], [{"key": "team", "value": "core"}], "tags survive")
    bc.expect_eq(by_name["gone"]["status"], "INACTIVE", "deletion survives")
    bc.expect_eq(ecs.list_clusters()["clusterArns"], [bc.arn("kept")], "list after restart")
    settings = ecs.list_account_settings(name="containerInsights", effectiveSettings=True)
    bc.expect_eq(settings["settings"][0]["value"], "enabled", "account default survives")

    # Every write that was answered is on disk, even without a clean stop.
    for i in range(20):
        ecs.create_cluster(clusterName=f"burst{i}")
    bc.expect_eq(b.stop(signal.SIGKILL), -signal.SIGKILL, "killed")
    b.start()
    ecs = s.client(b)
    arns = ecs.list_clusters()["clusterArns"]
    bc.expect_eq(len(arns), 21, "all answered creates survive kill -9")
    bc.expect_eq(b.stop(), 0, "exit status")

    # A damaged store: berth-control refuses to start and says why.
    db = os.path.join(b.data_dir, "berth.db")
    with open(db, "r+b") as f:
        f.write(b"this is not a SQLite database at all" * 4)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    rc = b.start(expect_ready=False)
    bc.expect_eq(rc, 1, "exit status on a damaged store")
    log = b.log_text()
    bc.expect_in("refusing to start", log, "refusal logged")
    bc.expect_in(db, log, "the message names the file")


if __name__ == "__main__":
    bc.run(main)
