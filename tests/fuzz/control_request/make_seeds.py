#!/usr/bin/python3
"""Writes corpus/ seeds: real request bodies as botocore serializes them
(the aws CLI and boto3 send exactly these), one "<Operation>\\n<body>" file
per call. Regenerate with /usr/bin/python3 make_seeds.py."""
import hashlib
import os

import botocore.session
from botocore.serialize import create_serializer

ARN = "arn:aws:ecs:us-east-1:000000000000:cluster/"
CALLS = [
    ("CreateCluster", {}),
    ("CreateCluster", {"clusterName": "prod", "tags": [{"key": "team", "value": "core"}],
                       "settings": [{"name": "containerInsights", "value": "enabled"}]}),
    ("CreateCluster", {"clusterName": "x", "configuration": {"executeCommandConfiguration": {
        "kmsKeyId": "k", "logging": "OVERRIDE", "logConfiguration": {
            "cloudWatchLogGroupName": "g", "cloudWatchEncryptionEnabled": True,
            "s3BucketName": "b", "s3EncryptionEnabled": False, "s3KeyPrefix": "p"}}}}),
    ("CreateCluster", {"clusterName": "cp", "capacityProviders": ["FARGATE"],
                       "defaultCapacityProviderStrategy": [
                           {"capacityProvider": "FARGATE", "weight": 1, "base": 0}]}),
    ("DescribeClusters", {}),
    ("DescribeClusters", {"clusters": ["prod", ARN + "old", "nope"],
                          "include": ["ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS",
                                      "TAGS"]}),
    ("ListClusters", {"maxResults": 2}),
    ("ListClusters", {"nextToken": None}),  # a real token, filled in below
    ("DeleteCluster", {"cluster": "prod"}),
    ("DeleteCluster", {"cluster": ARN + "busy"}),
    ("UpdateCluster", {"cluster": "prod", "settings": [{"name": "containerInsights",
                                                        "value": "disabled"}],
                       "serviceConnectDefaults": {"namespace": "ns"}}),
    ("UpdateClusterSettings", {"cluster": "prod", "settings": [
        {"name": "containerInsights", "value": "enabled"}]}),
    ("TagResource", {"resourceArn": ARN + "prod", "tags": [{"key": "a", "value": "1"},
                                                           {"key": "aws:x", "value": ""}]}),
    ("UntagResource", {"resourceArn": ARN + "prod", "tagKeys": ["team"]}),
    ("ListTagsForResource", {"resourceArn": ARN + "old"}),
    ("ListAccountSettings", {"effectiveSettings": True, "maxResults": 2}),
    ("ListAccountSettings", {"name": "containerInsights", "value": "enabled",
                             "principalArn": "arn:aws:iam::000000000000:user/ann"}),
    ("PutAccountSetting", {"name": "awsvpcTrunking", "value": "enabled",
                           "principalArn": "arn:aws:iam::000000000000:role/r"}),
    ("PutAccountSettingDefault", {"name": "containerInsights", "value": "disabled"}),
    ("DeleteAccountSetting", {"name": "containerInsights"}),
    ("RegisterTaskDefinition", {"family": "web", "containerDefinitions": [
        {"name": "app", "image": "nginx:1.25", "memory": 128, "memoryReservation": 64,
         "cpu": 256, "essential": True, "command": ["nginx"],
         "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}],
         "environment": [{"name": "A", "value": "1"}],
         "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
         "healthCheck": {"command": ["CMD", "true"], "interval": 30}},
        {"name": "side", "image": "busybox", "memoryReservation": 16, "essential": False,
         "dependsOn": [{"containerName": "app", "condition": "HEALTHY"}]}],
        "networkMode": "bridge", "cpu": "1 vCPU", "memory": "1 GB",
        "placementConstraints": [{"type": "memberOf",
                                  "expression": "attribute:ecs.instance-type =~ t2.*"}],
        "volumes": [{"name": "v", "host": {"sourcePath": "/data"}}],
        "tags": [{"key": "team", "value": "core"}]}),
    ("RegisterTaskDefinition", {"family": "host", "networkMode": "host",
                                "requiresCompatibilities": ["EC2"],
                                "containerDefinitions": [
                                    {"name": "a", "image": "i", "memory": 8,
                                     "portMappings": [{"containerPort": 53, "protocol": "udp"}]}]}),
    ("RegisterTaskDefinition", {"family": "bad", "containerDefinitions": [
        {"name": "a", "image": "i"}],
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:x =="}]}),
    ("DescribeTaskDefinition", {"taskDefinition": "web", "include": ["TAGS"]}),
    ("DescribeTaskDefinition", {"taskDefinition":
                                "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"}),
    ("DeregisterTaskDefinition", {"taskDefinition": "web:1"}),
    ("ListTaskDefinitions", {"familyPrefix": "web", "status": "INACTIVE", "sort": "DESC",
                             "maxResults": 1}),
    ("ListTaskDefinitionFamilies", {"familyPrefix": "w", "status": "ALL", "maxResults": 1}),
]


def next_token(operation, key):
    """control/api/paging.h's token: base64url(1, key, sha256(op NUL key)[:8])."""
    import base64
    raw = b"\x01" + key.encode() + hashlib.sha256(f"{operation}\0{key}".encode()).digest()[:8]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def main():
    model = botocore.session.get_session().get_service_model("ecs")
    serializer = create_serializer("json")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for op, params in CALLS:
        if params.get("nextToken", "") is None:
            params = dict(params, nextToken=next_token(op, "busy"))
        request = serializer.serialize_to_request(params, model.operation_model(op))
        body = request["body"]
        body = body.decode() if isinstance(body, bytes) else body
        text = f"{op}\n{body}"
        name = f"{op}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    # Protocol-level oddities.
    for name, text in [("unknown-op", "LaunchRockets\n{}"),
                       ("foreign-prefix", "DynamoDB_20120810.ListTables\n{}"),
                       ("not-object", "ListClusters\n[1,2]"),
                       ("wrong-types", 'CreateCluster\n{"clusterName":5,"tags":{"key":1}}'),
                       ("empty-body", "ListClusters\n")]:
        with open(os.path.join(out, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
