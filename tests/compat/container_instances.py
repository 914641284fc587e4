#!/usr/bin/python3
"""Container instances through /usr/bin/aws and boto3: register from a JSON
file (as the agent would), describe, list with a cluster-query-language
filter (and a bad one rejected), custom attributes, tags, drain and re-activate, DeleteCluster refused
while an instance is registered, deregister, and a restart keeps them."""
import json
import os

import berth_compat as bc

RESOURCES = [
    {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
    {"name": "MEMORY", "type": "INTEGER", "integerValue": 3900},
    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "2376", "51678"]},
    {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
]


def main(s):
    b = s.berth()
    b.start()
    aws = lambda *a, **k: s.aws(b, *a, **k)  # noqa: E731
    aws("create-cluster", "--cluster-name", "prod")

    resources = os.path.join(s.tmp, "resources.json")
    with open(resources, "w") as f:
        json.dump(RESOURCES, f)
    attributes = os.path.join(s.tmp, "attributes.json")
    with open(attributes, "w") as f:
        json.dump([{"name": "ecs.instance-type", "value": "t3.small"},
                   {"name": "ecs.os-type", "value": "linux"}], f)
    _, out, _ = aws("register-container-instance", "--cluster", "prod",
                    "--total-resources", f"file://{resources}",
                    "--attributes", f"file://{attributes}",
                    "--version-info", "agentVersion=1.70.2,dockerVersion=20.10.25")
    ci = out["containerInstance"]
    small = ci["containerInstanceArn"]
    prefix = "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/"
    bc.expect_eq(small[:len(prefix)], prefix, "long ARN")
    bc.expect_eq(len(small) - len(prefix), 32, "32-hex id")
    bc.expect_eq(ci["status"], "ACTIVE", "status")
    bc.expect_eq(ci["agentConnected"], True, "agentConnected")
    bc.expect_eq(ci["remainingResources"], ci["registeredResources"], "remaining = registered")

    ecs = s.client(b)
    large = ecs.register_container_instance(
        cluster="prod", totalResources=RESOURCES,
        attributes=[{"name": "ecs.instance-type", "value": "t3.large"}],
        instanceIdentityDocument=json.dumps({"instanceId": "i-0abc"}),
    )["containerInstance"]["containerInstanceArn"]

    _, out, _ = aws("describe-container-instances", "--cluster", "prod",
                    "--container-instances", small, large.rsplit("/", 1)[1],
                    "ffffffffffffffffffffffffffffffff")
    bc.expect_eq(len(out["containerInstances"]), 2, "described")
    bc.expect_eq(out["failures"][0]["reason"], "MISSING", "unknown id")
    got = ecs.describe_container_instances(cluster="prod", containerInstances=[large])
    bc.expect_eq(got["containerInstances"][0]["ec2InstanceId"], "i-0abc", "identity document")

    _, out, _ = aws("list-container-instances", "--cluster", "prod",
                    "--filter", "attribute:ecs.instance-type == t3.small")
    bc.expect_eq(out["containerInstanceArns"], [small], "filtered list")
    rc, _, err = aws("list-container-instances", "--cluster", "prod",
                     "--filter", "attribute:ecs.instance-type ==", check=False)
    bc.expect_eq(rc, 254, "bad filter exit code")
    bc.expect_in("InvalidParameterException", err, "bad filter error")
    bc.expect_in("position", err, "bad filter names the position")
    got = ecs.list_container_instances(cluster="prod")
    bc.expect_eq(sorted(got["containerInstanceArns"]), sorted([small, large]), "list all")

    _, out, _ = aws("describe-clusters", "--clusters", "prod")
    bc.expect_eq(out["clusters"][0]["registeredContainerInstancesCount"], 2, "count")

    # Custom attributes.
    _, out, _ = aws("put-attributes", "--cluster", "prod", "--attributes",
                    f"name=stack,value=blue,targetType=container-instance,targetId={small}")
    bc.expect_eq(out["attributes"][0]["targetId"], small, "put-attributes")
    _, out, _ = aws("list-attributes", "--cluster", "prod", "--target-type",
                    "container-instance", "--attribute-name", "stack")
    bc.expect_eq(out["attributes"], [{"name": "stack", "value": "blue",
                                      "targetType": "container-instance", "targetId": small}],
                 "list-attributes")
    got = ecs.list_container_instances(cluster="prod", filter="attribute:stack == blue")
    bc.expect_eq(got["containerInstanceArns"], [small], "filter on a custom attribute")
    bc.expect_client_error(lambda: ecs.put_attributes(cluster="prod", attributes=[
        {"name": "stack", "value": "x", "targetId": "ffffffffffffffffffffffffffffffff"}]),
        "TargetNotFoundException")
    for i in range(9):
        ecs.put_attributes(cluster="prod", attributes=[
            {"name": f"extra{i}", "value": "1", "targetId": small}])
    bc.expect_client_error(lambda: ecs.put_attributes(cluster="prod", attributes=[
        {"name": "one-too-many", "value": "1", "targetId": small}]),
        "AttributeLimitExceededException")
    for i in range(9):
        ecs.delete_attributes(cluster="prod", attributes=[{"name": f"extra{i}", "targetId": small}])
    aws("delete-attributes", "--cluster", "prod", "--attributes", f"name=stack,targetId={small}")
    _, out, _ = aws("list-attributes", "--cluster", "prod", "--target-type",
                    "container-instance", "--attribute-name", "stack")
    bc.expect_eq(out["attributes"], [], "delete-attributes")

    # Tags.
    aws("tag-resource", "--resource-arn", small, "--tags", "key=team,value=core")
    _, out, _ = aws("list-tags-for-resource", "--resource-arn", small)
    bc.expect_eq(out["tags"], [{"key": "team", "value": "core"}], "tags")
    got = ecs.describe_container_instances(cluster="prod", containerInstances=[small],
                                           include=["TAGS"])
    bc.expect_eq(got["containerInstances"][0]["tags"], [{"key": "team", "value": "core"}],
                 "describe include TAGS")

    # Drain and re-activate.
    _, out, _ = aws("update-container-instances-state", "--cluster", "prod",
                    "--container-instances", small, "--status", "DRAINING")
    bc.expect_eq(out["containerInstances"][0]["status"], "DRAINING", "draining")
    got = ecs.list_container_instances(cluster="prod", status="DRAINING")
    bc.expect_eq(got["containerInstanceArns"], [small], "list DRAINING")
    got = ecs.update_container_instances_state(cluster="prod", containerInstances=[small],
                                               status="ACTIVE")
    bc.expect_eq(got["containerInstances"][0]["status"], "ACTIVE", "re-activated")

    rc, _, err = aws("delete-cluster", "--cluster", "prod", check=False)
    bc.expect_eq(rc, 254, "delete-cluster refused")
    bc.expect_in("ClusterContainsContainerInstancesException", err, "refusal type")

    _, out, _ = aws("deregister-container-instance", "--cluster", "prod",
                    "--container-instance", large)
    bc.expect_eq(out["containerInstance"]["status"], "INACTIVE", "deregistered")
    got = ecs.list_container_instances(cluster="prod")
    bc.expect_eq(got["containerInstanceArns"], [small], "INACTIVE not listed by default")

    # A restart keeps them.
    bc.expect_eq(b.stop(), 0, "SIGTERM exit status")
    b.start()
    ecs = s.client(b)
    got = ecs.describe_container_instances(cluster="prod", containerInstances=[small, large])
    by_arn = {c["containerInstanceArn"]: c for c in got["containerInstances"]}
    bc.expect_eq(by_arn[small]["status"], "ACTIVE", "kept ACTIVE")
    bc.expect_eq(by_arn[large]["status"], "INACTIVE", "kept INACTIVE")
    bc.expect_eq(by_arn[small]["registeredResources"], ci["registeredResources"], "resources kept")
    bc.expect_eq(ecs.list_tags_for_resource(resourceArn=small)["tags"],
                 [{"key": "team", "value": "core"}], "tags kept")
    got = ecs.describe_clusters(clusters=["prod"])
    bc.expect_eq(got["clusters"][0]["registeredContainerInstancesCount"], 1, "count rebuilt")

    ecs.deregister_container_instance(cluster="prod", containerInstance=small)
    ecs.delete_cluster(cluster="prod")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
