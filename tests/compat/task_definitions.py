#!/usr/bin/python3
"""Task definitions through /usr/bin/aws and boto3: register from a JSON file
(--cli-input-json) and from flags, describe by family / family:rev / ARN,
invalid definitions with the exact exception type as the CLI prints it
(a bad memberOf expression included), deregister then describe (INACTIVE),
tags, and a restart of berth-control that keeps every revision."""
import json
import os

import berth_compat as bc

TD_ARN = f"arn:aws:ecs:{bc.REGION}:{bc.ACCOUNT}:task-definition/"


def main(s):
    b = s.berth()
    b.start()
    aws = lambda *a, **k: s.aws(b, *a, **k)  # noqa: E731
    ecs = s.client(b)

    # From a JSON file, as `aws ecs register-task-definition --generate-cli-skeleton` has it.
    spec = {
        "family": "web",
        "networkMode": "bridge",
        "containerDefinitions": [{
            "name": "app", "image": "nginx:1.25", "cpu": 256, "memory": 256,
            "memoryReservation": 128, "essential": True,
            "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": "MODE", "value": "prod"}],
            "command": ["nginx", "-g", "daemon off;"],
        }],
        "placementConstraints": [{"type": "memberOf",
                                  "expression": "attribute:ecs.instance-type =~ t3.*"}],
        "volumes": [{"name": "data", "host": {"sourcePath": "/srv/data"}}],
        "cpu": "512", "memory": "1 GB",
        "tags": [{"key": "team", "value": "core"}],
    }
    path = os.path.join(s.tmp, "web.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    _, out, _ = aws("register-task-definition", "--cli-input-json", f"file://{path}")
    td = out["taskDefinition"]
    bc.expect_eq(td["taskDefinitionArn"], TD_ARN + "web:1", "taskDefinitionArn")
    bc.expect_eq((td["revision"], td["status"]), (1, "ACTIVE"), "revision and status")
    bc.expect_eq(td["containerDefinitions"][0]["command"], ["nginx", "-g", "daemon off;"],
                 "unmodelled container members round-trip")
    bc.expect_eq(td["volumes"], spec["volumes"], "volumes")
    bc.expect_eq(td["placementConstraints"], spec["placementConstraints"], "constraints")
    bc.expect_eq(td["compatibilities"], ["EXTERNAL", "EC2"], "compatibilities")
    bc.expect_eq(td["registeredBy"], f"arn:aws:iam::{bc.ACCOUNT}:root", "registeredBy")
    bc.expect_eq(out["tags"], [{"key": "team", "value": "core"}], "tags")

    # From flags: a second revision, and another family.
    _, out, _ = aws("register-task-definition", "--family", "web", "--network-mode", "host",
                    "--container-definitions",
                    '[{"name":"app","image":"nginx:1.26","memory":128,'
                    '"portMappings":[{"containerPort":80,"hostPort":80}]}]')
    bc.expect_eq(out["taskDefinition"]["revision"], 2, "second revision")
    aws("register-task-definition", "--family", "db", "--container-definitions",
        '[{"name":"pg","image":"postgres:16","memoryReservation":512}]')

    # Describe by family (latest ACTIVE), family:rev and ARN.
    _, out, _ = aws("describe-task-definition", "--task-definition", "web")
    bc.expect_eq(out["taskDefinition"]["revision"], 2, "by family")
    _, out, _ = aws("describe-task-definition", "--task-definition", "web:1", "--include", "TAGS")
    bc.expect_eq(out["taskDefinition"]["cpu"], "512", "by family:rev")
    bc.expect_eq(out["tags"], [{"key": "team", "value": "core"}], "include TAGS")
    _, out, _ = aws("describe-task-definition", "--task-definition", TD_ARN + "db:1")
    bc.expect_eq(out["taskDefinition"]["family"], "db", "by ARN")
    got = ecs.describe_task_definition(taskDefinition="web:1")["taskDefinition"]
    bc.expect_eq(got["registeredAt"].year >= 2024, True, "boto3 parses registeredAt")
    bc.expect_eq(got["containerDefinitions"][0]["portMappings"][0]["hostPort"], 8080, "boto3")

    # Errors as the CLI prints them.
    def error(args, type_, op, message):
        rc, _, err = aws(*args, check=False)
        bc.expect_eq(rc, 254, f"exit code of {args}")
        bc.expect_eq(err.splitlines()[-1],
                     f"An error occurred ({type_}) when calling the {op} operation: {message}",
                     "CLI error")

    error(["register-task-definition", "--family", "web", "--container-definitions",
           '[{"name":"app","image":"nginx"}]'], "ClientException", "RegisterTaskDefinition",
          "Invalid setting for container 'app'. At least one of 'memory' or "
          "'memoryReservation' must be specified.")
    error(["register-task-definition", "--family", "web", "--container-definitions",
           '[{"name":"app","image":"nginx","memory":64,"memoryReservation":64}]'],
          "ClientException", "RegisterTaskDefinition",
          "Invalid setting for container 'app'. 'memory' must be greater than "
          "'memoryReservation'.")
    error(["register-task-definition", "--family", "web", "--network-mode", "host",
           "--container-definitions",
           '[{"name":"app","image":"nginx","memory":64,'
           '"portMappings":[{"containerPort":80,"hostPort":81}]}]'],
          "ClientException", "RegisterTaskDefinition",
          "When networkMode=host, the host ports and container ports in port mappings must "
          "match.")
    error(["register-task-definition", "--family", "web", "--container-definitions",
           '[{"name":"app","image":"nginx","memory":64}]', "--placement-constraints",
           "type=memberOf,expression=attribute:ecs.instance-type =~ t2.* and"],
          "InvalidParameterException", "RegisterTaskDefinition",
          "placementConstraints[0].expression 'attribute:ecs.instance-type =~ t2.* and' is not "
          "valid: invalid expression at position 40: expected a subject, 'not' or '(' after "
          "'and'")
    error(["describe-task-definition", "--task-definition", "nope"], "ClientException",
          "DescribeTaskDefinition", "Unable to describe task definition.")
    error(["deregister-task-definition", "--task-definition", "web"], "ClientException",
          "DeregisterTaskDefinition",
          "A revision must be specified: give family:revision or the task definition's ARN.")
    bc.expect_client_error(
        lambda: ecs.register_task_definition(
            family="x", containerDefinitions=[{"name": "a", "image": "i", "memory": 64,
                                               "essential": False}]),
        "ClientException", "A task definition must have at least one essential container.")
    bc.expect_client_error(
        lambda: ecs.register_task_definition(
            family="x", containerDefinitions=[{"name": "a", "image": "i", "memory": 64}],
            placementConstraints=[{"type": "memberOf", "expression": "attribute:stack =="}]),
        "InvalidParameterException")

    # Tags through the tag operations.
    aws("tag-resource", "--resource-arn", TD_ARN + "web:2", "--tags", "key=owner,value=ann")
    _, out, _ = aws("list-tags-for-resource", "--resource-arn", TD_ARN + "web:2")
    bc.expect_eq(out["tags"], [{"key": "owner", "value": "ann"}], "tags on web:2")

    # Deregister: INACTIVE, still describable; the family falls back to web:1.
    _, out, _ = aws("deregister-task-definition", "--task-definition", "web:2")
    bc.expect_eq(out["taskDefinition"]["status"], "INACTIVE", "deregistered")
    bc.expect_in("deregisteredAt", out["taskDefinition"], "deregisteredAt")
    _, out, _ = aws("describe-task-definition", "--task-definition", "web:2")
    bc.expect_eq(out["taskDefinition"]["status"], "INACTIVE", "describe after deregister")
    _, out, _ = aws("describe-task-definition", "--task-definition", "web")
    bc.expect_eq(out["taskDefinition"]["revision"], 1, "latest ACTIVE")
    _, out, _ = aws("list-task-definitions", "--status", "INACTIVE")
    bc.expect_eq(out["taskDefinitionArns"], [TD_ARN + "web:2"], "INACTIVE list")

    # A restart keeps every revision, its status and tags; numbering continues.
    before = {arn: ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
              for arn in [TD_ARN + "web:1", TD_ARN + "web:2", TD_ARN + "db:1"]}
    bc.expect_eq(b.stop(), 0, "SIGTERM exit status")
    b.start()
    ecs = s.client(b)
    for arn, old in before.items():
        new = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        bc.expect_eq(new["taskDefinition"], old["taskDefinition"], f"{arn} after restart")
        bc.expect_eq(new["tags"], old["tags"], f"{arn} tags after restart")
    _, out, _ = s.aws(b, "register-task-definition", "--family", "web",
                      "--container-definitions", '[{"name":"app","image":"nginx","memory":64}]')
    bc.expect_eq(out["taskDefinition"]["revision"], 3, "numbering continues after restart")
    _, out, _ = s.aws(b, "list-task-definition-families")
    bc.expect_eq(out["families"], ["db", "web"], "families after restart")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
