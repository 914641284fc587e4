#!/usr/bin/python3
"""Every cluster, tag and account-setting operation through /usr/bin/aws,
and the error cases as the CLI prints them (exit code 254 and
"An error occurred (<Type>) when calling the <Op> operation: <message>")."""
import berth_compat as bc


def main(s):
    b = s.berth()
    b.start()
    aws = lambda *a, **k: s.aws(b, *a, **k)  # noqa: E731

    # CreateCluster with tags and settings; idempotent by name.
    _, out, _ = aws("create-cluster", "--cluster-name", "prod",
                    "--tags", "key=team,value=core", "key=env,value=prod",
                    "--settings", "name=containerInsights,value=enabled")
    c = out["cluster"]
    bc.expect_eq(c["clusterArn"], bc.arn("prod"), "clusterArn")
    bc.expect_eq(c["status"], "ACTIVE", "status")
    bc.expect_eq(c["tags"], [{"key": "team", "value": "core"}, {"key": "env", "value": "prod"}],
                 "tags")
    bc.expect_eq(c["settings"], [{"name": "containerInsights", "value": "enabled"}], "settings")
    _, again, _ = aws("create-cluster", "--cluster-name", "prod")
    bc.expect_eq(again["cluster"]["tags"], c["tags"], "idempotent create keeps the tags")
    _, out, _ = aws("create-cluster")
    bc.expect_eq(out["cluster"]["clusterName"], "default", "create-cluster without a name")

    # DescribeClusters: include, failures, the default cluster.
    _, out, _ = aws("describe-clusters", "--clusters", "prod", "missing",
                    "--include", "STATISTICS", "TAGS", "SETTINGS")
    bc.expect_eq(len(out["clusters"]), 1, "described clusters")
    d = out["clusters"][0]
    bc.expect_eq(d["registeredContainerInstancesCount"], 0, "instances")
    stats = {kv["name"]: kv["value"] for kv in d["statistics"]}
    bc.expect_eq(stats.get("runningEC2TasksCount"), "0", "statistics")
    bc.expect_eq(len(d["tags"]), 2, "tags included")
    bc.expect_eq(out["failures"], [{"arn": bc.arn("missing"), "reason": "MISSING"}], "failures")
    _, out, _ = aws("describe-clusters")
    bc.expect_eq(out["clusters"][0]["clusterName"], "default", "default cluster")
    bc.expect_eq(out["clusters"][0]["tags"], [], "tags without include")

    # ListClusters.
    _, out, _ = aws("list-clusters")
    bc.expect_eq(sorted(out["clusterArns"]), [bc.arn("default"), bc.arn("prod")], "list")

    # UpdateClusterSettings / UpdateCluster.
    _, out, _ = aws("update-cluster-settings", "--cluster", "prod",
                    "--settings", "name=containerInsights,value=disabled")
    bc.expect_eq(out["cluster"]["settings"], [{"name": "containerInsights", "value": "disabled"}],
                 "update-cluster-settings")
    _, out, _ = aws("update-cluster", "--cluster", bc.arn("prod"), "--configuration",
                    '{"executeCommandConfiguration":{"logging":"DEFAULT","kmsKeyId":"k1"}}')
    bc.expect_eq(out["cluster"]["configuration"],
                 {"executeCommandConfiguration": {"kmsKeyId": "k1", "logging": "DEFAULT"}},
                 "update-cluster configuration")
    _, out, _ = aws("describe-clusters", "--clusters", "prod", "--include", "CONFIGURATIONS")
    bc.expect_eq(out["clusters"][0]["configuration"]["executeCommandConfiguration"]["kmsKeyId"],
                 "k1", "configuration described")

    # Tags.
    aws("tag-resource", "--resource-arn", bc.arn("prod"), "--tags", "key=owner,value=ann")
    aws("untag-resource", "--resource-arn", bc.arn("prod"), "--tag-keys", "env")
    _, out, _ = aws("list-tags-for-resource", "--resource-arn", bc.arn("prod"))
    bc.expect_eq(out["tags"], [{"key": "team", "value": "core"}, {"key": "owner", "value": "ann"}],
                 "tags after tag/untag")

    # Account settings.
    _, out, _ = aws("list-account-settings", "--effective-settings")
    names = [x["name"] for x in out["settings"]]
    bc.expect_eq(names, sorted(names), "settings sorted")
    bc.expect_in("containerInsights", names, "effective settings")
    _, out, _ = aws("put-account-setting-default", "--name", "containerInsights",
                    "--value", "enabled")
    bc.expect_eq(out["setting"], {"name": "containerInsights", "value": "enabled",
                                  "principalArn": f"arn:aws:iam::{bc.ACCOUNT}:root"}, "default")
    user = f"arn:aws:iam::{bc.ACCOUNT}:user/ann"
    _, out, _ = aws("put-account-setting", "--name", "containerInsights", "--value", "disabled",
                    "--principal-arn", user)
    bc.expect_eq(out["setting"]["principalArn"], user, "put-account-setting principal")
    _, out, _ = aws("list-account-settings", "--principal-arn", user)
    bc.expect_eq(out["settings"], [{"name": "containerInsights", "value": "disabled",
                                    "principalArn": user}], "user's own settings")
    _, out, _ = aws("create-cluster", "--cluster-name", "insightful")
    bc.expect_eq(out["cluster"]["settings"], [{"name": "containerInsights", "value": "enabled"}],
                 "account default applies to new clusters")
    _, out, _ = aws("delete-account-setting", "--name", "containerInsights",
                    "--principal-arn", user)
    bc.expect_eq(out["setting"]["value"], "disabled", "deleted setting")

    # DeleteCluster.
    _, out, _ = aws("delete-cluster", "--cluster", "prod")
    bc.expect_eq(out["cluster"]["status"], "INACTIVE", "deleted status")
    _, out, _ = aws("describe-clusters", "--clusters", "prod")
    bc.expect_eq(out["clusters"][0]["status"], "INACTIVE", "INACTIVE stays describable")
    _, out, _ = aws("list-clusters")
    bc.expect_eq(sorted(out["clusterArns"]), [bc.arn("default"), bc.arn("insightful")],
                 "INACTIVE clusters are not listed")

    # Errors as the CLI prints them.
    def error(args, type_, op, message=None):
        rc, _, err = aws(*args, check=False)
        bc.expect_eq(rc, 254, f"exit code of {args}")
        prefix = f"An error occurred ({type_}) when calling the {op} operation: "
        bc.expect_in(prefix, err, "CLI error line")
        if message is not None:
            bc.expect_eq(err.splitlines()[-1], prefix + message, "CLI error message")

    error(["delete-cluster", "--cluster", "prod"], "ClusterNotFoundException", "DeleteCluster",
          "Cluster not found.")
    error(["update-cluster-settings", "--cluster", "nope", "--settings",
           "name=containerInsights,value=enabled"],
          "ClusterNotFoundException", "UpdateClusterSettings", "Cluster not found.")
    error(["list-tags-for-resource", "--resource-arn", bc.arn("nope")],
          "ClusterNotFoundException", "ListTagsForResource", "Cluster not found.")
    error(["create-cluster", "--cluster-name", "not valid!"], "InvalidParameterException",
          "CreateCluster",
          "Cluster name must be 1 to 255 characters long and can contain only letters "
          "(uppercase and lowercase), numbers, underscores and hyphens.")
    error(["tag-resource", "--resource-arn", bc.arn("default"), "--tags", "key=aws:x,value=1"],
          "InvalidParameterException", "TagResource")
    error(["put-account-setting", "--name", "containerInsights", "--value", "maybe"],
          "InvalidParameterException", "PutAccountSetting",
          "Invalid value 'maybe' for containerInsights. Valid values are enabled and disabled.")
    error(["list-clusters", "--starting-token", "bm90IGEgdG9rZW4", "--max-items", "1"],
          "InvalidParameterException", "ListClusters")
    error(["describe-clusters", "--include", "EVERYTHING"], "InvalidParameterException",
          "DescribeClusters")

    # The server counted what it answered.
    count = b.metric("berth_api_requests_total",
                     'operation="DeleteCluster",error="ClusterNotFoundException"')
    bc.expect_eq(count, 1, "metrics count of the DeleteCluster error")
    bc.expect_eq(b.stop(), 0, "berth-control exit status after SIGTERM")


if __name__ == "__main__":
    bc.run(main)
