#!/usr/bin/python3
"""Writes corpus/ seeds: real request bodies as botocore serializes them
(the aws CLI and boto3 send exactly these), one "<Operation>\\n<body>" file
per call. Regenerate with /usr/bin/python3 make_seeds.py."""
import hashlib
import json
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

# What Seed() in fuzz_control_request.cc builds with io::Rng(1) (print them
# with BERTH_FUZZ_PRINT_SEED=1 ./fuzz_control_request <any file>): in "prod",
# instances I1 ACTIVE, I2 DRAINING, I3 INACTIVE; tasks RUNNING (api:1 on one
# instance), PENDING (api:1 on the other), STOPPED (web, startedBy "ci") and
# STOPPING (web:1, RUNNING with desiredStatus STOPPED).
CI = "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/"
TASK = "arn:aws:ecs:us-east-1:000000000000:task/prod/"
I1, I2, I3 = ("86f686bbf5db5422e4af81320529be22", "a9546ea77e1d2837e80c5397508d1650",
              "8376cfce27574d959486399b2d2ce49e")
T_RUNNING, T_PENDING = "00164f463b081e19010844e0c538e92a", "cd30d06795cdd2b69915a665c2271ff3"
T_STOPPED, T_STOPPING = "76fb5c19f1cddbfb44140ddfc86a7457", "b4c69d90c4eed8e113031bd2697c1b11"
RESOURCES = [{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
             {"name": "MEMORY", "type": "INTEGER", "integerValue": 3904},
             {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "51678"]},
             {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []}]
AGENT_ATTRIBUTES = [{"name": "ecs.capability.docker-remote-api.1.17"},
                    {"name": "ecs.availability-zone", "value": "us-east-1c"},
                    {"name": "ecs.instance-type", "value": "t3.micro"},
                    {"name": "ecs.cpu-architecture", "value": "arm64"},
                    {"name": "com.amazonaws.ecs.capability.task-iam-role"}]
TASK_CALLS = [
    # Container instances.
    ("RegisterContainerInstance", {"cluster": "prod", "totalResources": RESOURCES,
                                   "attributes": AGENT_ATTRIBUTES,
                                   "versionInfo": {"agentVersion": "1.82.0", "agentHash": "h",
                                                   "dockerVersion": "DockerVersion: 25.0"},
                                   "instanceIdentityDocument": '{"instanceId":"i-1",'
                                   '"instanceType":"t3.micro","availabilityZone":"us-east-1c",'
                                   '"imageId":"ami-1"}',
                                   "instanceIdentityDocumentSignature": "sig",
                                   "tags": [{"key": "team", "value": "core"}]}),
    ("RegisterContainerInstance", {"cluster": "prod", "containerInstanceArn": CI + I1,
                                   "totalResources": RESOURCES[:2]}),
    ("RegisterContainerInstance", {"cluster": "prod", "containerInstanceArn": CI + I3}),
    ("RegisterContainerInstance", {"cluster": "prod", "containerInstanceArn": "nope"}),
    ("RegisterContainerInstance", {"totalResources": [
        {"name": "CPU", "type": "BOGUS", "integerValue": 1},
        {"name": "GPU", "type": "DOUBLE", "doubleValue": 0.5},
        {"name": "MEMORY", "type": "LONG", "longValue": 99999999999}]}),
    ("RegisterContainerInstance", {"cluster": "old"}),
    ("DescribeContainerInstances", {"cluster": "prod", "containerInstances":
                                    [I1, CI + I2, I3, "missing", CI + I1],
                                    "include": ["TAGS", "CONTAINER_INSTANCE_HEALTH"]}),
    ("DescribeContainerInstances", {"cluster": "prod", "containerInstances": [I1],
                                    "include": ["HEALTH"]}),
    ("DescribeContainerInstances", {"containerInstances": []}),
    ("ListContainerInstances", {"cluster": "prod"}),
    ("ListContainerInstances", {"cluster": "prod", "status": "DRAINING"}),
    ("ListContainerInstances", {"cluster": "prod", "status": "INACTIVE", "maxResults": 1}),
    ("ListContainerInstances", {"cluster": "prod", "status": "REGISTERING"}),
    ("ListContainerInstances", {"cluster": "prod", "maxResults": 1,
                                "nextToken": ("ListContainerInstances", "prod/" + I1)}),
    ("ListContainerInstances", {"cluster": "prod", "nextToken": ("ListTasks", "prod/" + I1)}),
    ("ListContainerInstances", {"cluster": "prod", "filter":
                                "attribute:ecs.instance-type =~ t3.* and "
                                "attribute:stack in [blue, green]"}),
    ("ListContainerInstances", {"cluster": "prod", "filter":
                                "runningTasksCount > 0 or agentConnected == false"}),
    ("ListContainerInstances", {"cluster": "prod", "filter":
                                "task:group == service:api and not(attribute:stack exists)"}),
    ("ListContainerInstances", {"cluster": "prod", "filter":
                                "registeredAt >= 2023-11-14T00:00:00Z and "
                                "agentVersion < 2.0.0 and ec2InstanceId =~ i-*"}),
    ("ListContainerInstances", {"cluster": "prod", "filter": "attribute:x =="}),
    ("DeregisterContainerInstance", {"cluster": "prod", "containerInstance": I1}),
    ("DeregisterContainerInstance", {"cluster": "prod", "containerInstance": CI + I2,
                                     "force": True}),
    ("DeregisterContainerInstance", {"cluster": "prod", "containerInstance": I3}),
    ("UpdateContainerInstancesState", {"cluster": "prod", "containerInstances": [I1, I2, I3,
                                                                                 "x"],
                                       "status": "DRAINING"}),
    ("UpdateContainerInstancesState", {"cluster": "prod", "containerInstances": [I2],
                                       "status": "ACTIVE"}),
    ("UpdateContainerInstancesState", {"cluster": "prod", "containerInstances": [I1],
                                       "status": "INACTIVE"}),
    # Attributes.
    ("PutAttributes", {"cluster": "prod", "attributes": [
        {"name": "stack", "value": "red", "targetType": "container-instance", "targetId": I1},
        {"name": "rack", "value": "r1", "targetId": CI + I2},
        {"name": "flag", "targetId": I1}]}),
    ("PutAttributes", {"cluster": "prod", "attributes": [
        {"name": "a%d" % i, "value": "v", "targetId": I1} for i in range(10)]}),
    ("PutAttributes", {"cluster": "prod", "attributes": [
        {"name": "ecs.reserved", "value": "v", "targetId": I1}]}),
    ("PutAttributes", {"cluster": "prod", "attributes": [
        {"name": "x", "value": "y", "targetId": I3}]}),
    ("PutAttributes", {"cluster": "prod", "attributes": [
        {"name": "x", "value": " lead", "targetType": "task", "targetId": I1}]}),
    ("ListAttributes", {"cluster": "prod", "targetType": "container-instance"}),
    ("ListAttributes", {"cluster": "prod", "targetType": "container-instance",
                        "attributeName": "stack", "attributeValue": "blue"}),
    ("ListAttributes", {"cluster": "prod", "targetType": "container-instance",
                        "maxResults": 2,
                        "nextToken": ("ListAttributes", "prod/" + I1 + "\necs.instance-type")}),
    ("ListAttributes", {"cluster": "prod", "targetType": "container-instance",
                        "attributeValue": "blue"}),
    ("DeleteAttributes", {"cluster": "prod", "attributes": [
        {"name": "stack", "targetId": I1}, {"name": "absent", "targetId": I2}]}),
    ("DeleteAttributes", {"cluster": "prod", "attributes": []}),
    # Tasks.
    ("RunTask", {"cluster": "prod", "taskDefinition": "web"}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "api:1", "count": 3,
                 "startedBy": "deploy-42", "group": "service:api",
                 "placementConstraints": [{"type": "distinctInstance"}],
                 "placementStrategy": [{"type": "spread", "field": "instanceId"},
                                       {"type": "binpack", "field": "cpu"}],
                 "tags": [{"key": "env", "value": "prod"}], "propagateTags": "TASK_DEFINITION",
                 "enableExecuteCommand": True, "referenceId": "ref",
                 "launchType": "EC2"}),
    ("RunTask", {"cluster": "prod", "taskDefinition":
                 "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", "count": 5,
                 "placementConstraints": [
                     {"type": "memberOf", "expression": "attribute:ecs.availability-zone "
                      "in [us-east-1a, us-east-1b] and attribute:stack != green"}],
                 "placementStrategy": [{"type": "binpack", "field": "memory"},
                                       {"type": "random"}]}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web:1", "count": 2,
                 "placementConstraints": [
                     {"type": "memberOf", "expression": "not(task:group == service:api)"}]}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "overrides": {
        "cpu": "512", "memory": "1024", "taskRoleArn": "arn:aws:iam::000000000000:role/r",
        "containerOverrides": [{"name": "app", "command": ["sh", "-c", "echo"],
                                "environment": [{"name": "A", "value": "1"}],
                                "cpu": 128, "memory": 256, "memoryReservation": 64}]}}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "api", "overrides": {
        "containerOverrides": [{"name": "nope"}]}}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "api", "overrides": {
        "containerOverrides": [{"name": "app", "memory": 10, "memoryReservation": 20}]}}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "count": 0}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "count": 11}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web:2"}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "launchType": "FARGATE"}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "startedBy": "x" * 37}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "placementConstraints": [
        {"type": "memberOf", "expression": "attribute:x =="}]}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web", "placementStrategy": [
        {"type": "spread", "field": "attribute:"}]}),
    ("RunTask", {"cluster": "prod", "taskDefinition": "web",
                 "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]}),
    ("RunTask", {"cluster": "busy", "taskDefinition": "web"}),
    ("RunTask", {"cluster": "old", "taskDefinition": "web"}),
    ("StartTask", {"cluster": "prod", "taskDefinition": "web",
                   "containerInstances": [I1, CI + I2, I3, "0" * 32],
                   "startedBy": "manual", "group": "adhoc",
                   "tags": [{"key": "k", "value": "v"}]}),
    ("StartTask", {"cluster": "prod", "taskDefinition": "api:1", "containerInstances": [I1]}),
    ("StartTask", {"cluster": "prod", "taskDefinition": "web", "containerInstances": [I3]}),
    ("StartTask", {"cluster": "prod", "taskDefinition": "web", "containerInstances": []}),
    ("StopTask", {"cluster": "prod", "task": T_RUNNING, "reason": "scale in"}),
    ("StopTask", {"cluster": "prod", "task": TASK + T_PENDING}),
    ("StopTask", {"cluster": "prod", "task": T_STOPPED, "reason": ""}),
    ("StopTask", {"cluster": "prod", "task": T_STOPPING}),
    ("StopTask", {"cluster": "prod", "task": T_RUNNING, "reason": "r" * 256}),
    ("StopTask", {"cluster": "prod", "task": "0" * 32}),
    ("DescribeTasks", {"cluster": "prod", "tasks": [T_RUNNING, TASK + T_PENDING, T_STOPPED,
                                                    T_STOPPING, "missing", T_RUNNING],
                       "include": ["TAGS"]}),
    ("DescribeTasks", {"cluster": "prod", "tasks": [T_STOPPED]}),
    ("DescribeTasks", {"cluster": "prod", "tasks": [T_RUNNING], "include": ["ATTACHMENTS"]}),
    ("DescribeTasks", {"cluster": "busy", "tasks": [T_RUNNING]}),
    ("ListTasks", {}),  # ASan stack-use-after-scope before 02091c6 (dangling string_view)
    ("ListTasks", {"cluster": "prod"}),
    ("ListTasks", {"cluster": "prod", "desiredStatus": "STOPPED"}),
    ("ListTasks", {"cluster": "prod", "desiredStatus": "PENDING"}),
    ("ListTasks", {"cluster": "prod", "containerInstance": I1, "family": "api",
                   "launchType": "EC2"}),
    ("ListTasks", {"cluster": "prod", "containerInstance": CI + I3}),
    ("ListTasks", {"cluster": "prod", "startedBy": "ci", "desiredStatus": "STOPPED"}),
    ("ListTasks", {"cluster": "prod", "startedBy": "ci", "family": "web"}),
    ("ListTasks", {"cluster": "prod", "serviceName": "svc"}),
    ("ListTasks", {"cluster": "prod", "launchType": "FARGATE"}),
    ("ListTasks", {"cluster": "prod", "maxResults": 1,
                   "nextToken": ("ListTasks", "prod/" + T_PENDING)}),
    ("ListTasks", {"cluster": "prod", "desiredStatus": "STOPPED", "maxResults": 1,
                   "nextToken": ("ListTasks", "prod/" + T_STOPPED)}),
    ("ListTasks", {"cluster": "prod", "nextToken": ("ListClusters", "prod/" + T_PENDING)}),
    # Agent reports.
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_PENDING, "status": "RUNNING",
                               "containers": [
                                   {"containerName": "app", "status": "RUNNING",
                                    "runtimeId": "c1", "imageDigest": "sha256:00",
                                    "networkBindings": [{"bindIP": "0.0.0.0",
                                                         "containerPort": 80,
                                                         "hostPort": 8080,
                                                         "protocol": "tcp"}]},
                                   {"containerName": "log", "status": "PENDING"}],
                               "pullStartedAt": 1700000001.5, "pullStoppedAt": 1700000002}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": TASK + T_RUNNING, "status": "STOPPED",
                               "reason": "OutOfMemoryError",
                               "containers": [{"containerName": "app", "status": "STOPPED",
                                               "exitCode": 137, "reason": "OOM"},
                                              {"containerName": "log", "status": "STOPPED",
                                               "exitCode": 0}],
                               "executionStoppedAt": 1700000100}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_STOPPING, "status": "STOPPED"}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_PENDING, "status": "STOPPED",
                               "reason": "CannotPullContainerError"}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_STOPPED, "status": "RUNNING"}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_RUNNING, "status": "DEACTIVATING"}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_RUNNING, "status": "EXPLODED"}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_RUNNING,
                               "containers": [{"containerName": "ghost", "status": "RUNNING"}]}),
    ("SubmitTaskStateChange", {"cluster": "prod", "task": "0" * 32, "status": "RUNNING"}),
    ("SubmitContainerStateChange", {"cluster": "prod", "task": T_RUNNING,
                                    "containerName": "app", "status": "STOPPED",
                                    "exitCode": 1, "reason": "Essential container exited",
                                    "runtimeId": "c9",
                                    "networkBindings": [{"bindIP": "::", "containerPort": 80,
                                                         "hostPort": 8080,
                                                         "protocol": "udp"}]}),
    ("SubmitContainerStateChange", {"cluster": "prod", "task": T_PENDING,
                                    "containerName": "log", "status": "RUNNING"}),
    ("SubmitContainerStateChange", {"cluster": "prod", "task": T_PENDING,
                                    "containerName": "app", "status": "WAITING"}),
    ("DiscoverPollEndpoint", {}),
    ("DiscoverPollEndpoint", {"cluster": "prod", "containerInstance": CI + I1}),
    ("DiscoverPollEndpoint", {"cluster": "nope"}),
]
# Run again with the commit failing ("<Operation>!"): after_commit(false).
FAILED_COMMIT = {"RunTask": 0, "StartTask": 0, "StopTask": 0, "DeregisterContainerInstance": 1}

# Operations whose seeds are held out of corpus/ while they crash the target
# (a crash found is reported and becomes a seed once fixed). None today;
# ListTasks was held back until 02091c6 (it read desiredStatus through a
# std::string_view of a destroyed temporary).
HELD_BACK = set()
# Reproducers of bugs fuzzing found, kept as seeds. An agent's reason longer
# than 1024 bytes was cut at byte 1024, which could split a UTF-8 character:
# the task record written was not valid JSON and did not load (fixed by
# cutting at a character boundary, task_state_ops.cc TruncateUtf8).
REPRODUCER_CALLS = [
    ("SubmitTaskStateChange", {"cluster": "prod", "task": T_RUNNING, "status": "STOPPED",
                               "reason": "a" * 1023 + "\u00e9"}),
    ("SubmitContainerStateChange", {"cluster": "prod", "task": T_RUNNING,
                                    "containerName": "app", "status": "STOPPED",
                                    "reason": "a" * 1023 + "\u00e9"}),
]

# POST /agent/v1/poll bodies ("AgentPoll\n<body>"), as the agent writes them.
POLLS = [
    {"cluster": "prod", "containerInstanceArn": CI + I1, "sessionId": "s1", "ack": 0},
    {"cluster": "prod", "containerInstanceArn": CI + I1, "sessionId": "seed", "ack": 2},
    {"cluster": "prod", "containerInstanceArn": I2, "sessionId": "s2", "ack": 99},
    {"cluster": "prod", "containerInstanceArn": CI + I3, "sessionId": "s3"},
    {"cluster": "prod", "containerInstanceArn": "0" * 32, "sessionId": "s4", "ack": 0},
    {"cluster": "old", "containerInstanceArn": I1, "sessionId": "s"},
    {"containerInstanceArn": I1, "sessionId": "s"},
    {"cluster": ARN + "prod", "containerInstanceArn": I1, "sessionId": "s", "ack": 1},
]
BAD_POLLS = ["", "{}", "[]", "nul", '{"containerInstanceArn":"x"}',
             '{"containerInstanceArn":"","sessionId":"s"}',
             '{"containerInstanceArn":"x","sessionId":""}',
             '{"containerInstanceArn":"x","sessionId":"s","ack":-1}',
             '{"containerInstanceArn":"x","sessionId":"s","ack":1.5}',
             '{"containerInstanceArn":"x","sessionId":"s","ack":"1"}',
             '{"containerInstanceArn":"x","sessionId":"s","ack":18446744073709551615}',
             '{"containerInstanceArn":"x","sessionId":"s","ack":9223372036854775807}',
             '{"containerInstanceArn":7,"sessionId":"s"}',
             '{"cluster":5,"containerInstanceArn":"x","sessionId":"s"}',
             '{"cluster":null,"containerInstanceArn":"x","sessionId":"s","ack":null}']


# POST /agent/v1/metrics bodies ("AgentPublishMetrics\n<body>"), as the agent
# writes them (docs/agent-protocol.md, "Telemetry").
def _set(lo, hi, n, total):
    return {"min": lo, "max": hi, "sampleCount": n, "sum": total}


TELEMETRY = [
    {"metadata": {"cluster": "prod", "containerInstance": CI + I1, "messageId": "m1",
                  "idle": False, "fin": True},
     "timestamp": 1700000000.5,
     "taskMetrics": [{"taskArn": T_RUNNING, "taskDefinitionFamily": "web",
                      "taskDefinitionVersion": "1",
                      "containerMetrics": [{"containerName": "app",
                                            "cpuStatsSet": _set(100, 300, 4, 800),
                                            "memoryStatsSet": _set(10, 12.5, 4, 44),
                                            "networkStatsSet": {"rxBytes": 5, "txBytes": 7}}]}]},
    {"metadata": {"cluster": "prod", "containerInstance": I2, "messageId": "m2", "idle": True},
     "taskMetrics": []},
    {"metadata": {"containerInstance": I1, "messageId": "m3", "fin": False},
     "taskMetrics": [{"taskArn": "0" * 32, "containerMetrics": [
         {"containerName": "a", "cpuStatsSet": _set(0, 0, 0, 0)}]}]},
]
BAD_TELEMETRY = ["", "{}", "[]", '{"metadata":{}}', '{"metadata":{"containerInstance":"x"}}',
                 '{"metadata":{"containerInstance":"x","messageId":"m"},"taskMetrics":[{}]}',
                 '{"metadata":{"containerInstance":"x","messageId":"m"},"taskMetrics":'
                 '[{"taskArn":"t","containerMetrics":[{"containerName":"a","cpuStatsSet":'
                 '{"min":5,"max":1,"sum":6,"sampleCount":2}}]}]}',
                 '{"metadata":{"containerInstance":"x","messageId":"m"},"taskMetrics":'
                 '[{"taskArn":"t","containerMetrics":[{"containerName":"a","memoryStatsSet":'
                 '{"min":1e308,"max":1e308,"sum":1e308,"sampleCount":9223372036854775807}}]}]}']


def next_token(operation, key):
    """control/api/paging.h's token: base64url(1, key, sha256(op NUL key)[:8])."""
    import base64
    raw = b"\x01" + key.encode() + hashlib.sha256(f"{operation}\0{key}".encode()).digest()[:8]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def write(out, name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)


def main():
    model = botocore.session.get_session().get_service_model("ecs")
    serializer = create_serializer("json")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    failed = dict(FAILED_COMMIT)
    for op, params in CALLS + TASK_CALLS + REPRODUCER_CALLS:
        if op in HELD_BACK:
            continue
        if params.get("nextToken", "") is None:
            params = dict(params, nextToken=next_token(op, "busy"))
        elif isinstance(params.get("nextToken"), tuple):
            params = dict(params, nextToken=next_token(*params["nextToken"]))
        request = serializer.serialize_to_request(params, model.operation_model(op))
        body = request["body"]
        body = body.decode() if isinstance(body, bytes) else body
        text = f"{op}\n{body}"
        write(out, f"{op}-{hashlib.sha1(text.encode()).hexdigest()[:8]}", text)
        if failed.get(op, -1) == 0:
            text = f"{op}!\n{body}"
            write(out, f"{op}-failed-commit-{hashlib.sha1(text.encode()).hexdigest()[:8]}", text)
        if op in failed:
            failed[op] -= 1
    for poll in POLLS:
        text = "AgentPoll\n" + json.dumps(poll, separators=(",", ":"))
        write(out, f"AgentPoll-{hashlib.sha1(text.encode()).hexdigest()[:8]}", text)
    for body in BAD_POLLS:
        text = "AgentPoll\n" + body
        write(out, f"AgentPoll-bad-{hashlib.sha1(text.encode()).hexdigest()[:8]}", text)
    for message in TELEMETRY:
        text = "AgentPublishMetrics\n" + json.dumps(message, separators=(",", ":"))
        write(out, f"AgentPublishMetrics-{hashlib.sha1(text.encode()).hexdigest()[:8]}", text)
    for body in BAD_TELEMETRY:
        text = "AgentPublishMetrics\n" + body
        write(out, f"AgentPublishMetrics-bad-{hashlib.sha1(text.encode()).hexdigest()[:8]}", text)
    # Protocol-level oddities.
    for name, text in [("unknown-op", "LaunchRockets\n{}"),
                       ("foreign-prefix", "DynamoDB_20120810.ListTables\n{}"),
                       ("not-object", "ListClusters\n[1,2]"),
                       ("wrong-types", 'CreateCluster\n{"clusterName":5,"tags":{"key":1}}'),
                       ("empty-body", "ListClusters\n"),
                       ("task-wrong-types",
                        'RunTask\n{"taskDefinition":"web","count":1.5,"overrides":[]}'),
                       ("report-wrong-types", 'SubmitTaskStateChange\n{"task":"' + T_RUNNING +
                        '","cluster":"prod","containers":[{"containerName":"app",'
                        '"networkBindings":{"a":1},"exitCode":"1"}]}')]:
        write(out, name, text)


if __name__ == "__main__":
    main()
