#!/usr/bin/python3
"""Every cluster, tag and account-setting operation through boto3, the error
types and HTTP statuses botocore sees, and the protocol-level errors
(unknown operation, malformed JSON, wrong member types, wrong paths) sent as
raw SigV4-signed requests."""
import json

import berth_compat as bc


def main(s):
    b = s.berth()
    b.start()
    ecs = s.client(b)

    c = ecs.create_cluster(clusterName="web", tags=[{"key": "k", "value": "v"}])["cluster"]
    bc.expect_eq(c["clusterArn"], bc.arn("web"), "clusterArn")
    bc.expect_eq(ecs.create_cluster(clusterName="web")["cluster"]["tags"],
                 [{"key": "k", "value": "v"}], "idempotent")
    got = ecs.describe_clusters(clusters=["web", bc.arn("web"), "ghost"],
                                include=["TAGS", "SETTINGS", "STATISTICS"])
    bc.expect_eq([x["clusterName"] for x in got["clusters"]], ["web"], "dedup by cluster")
    bc.expect_eq(got["failures"], [{"arn": bc.arn("ghost"), "reason": "MISSING"}], "failures")
    bc.expect_eq(ecs.list_clusters()["clusterArns"], [bc.arn("web")], "list")
    ecs.update_cluster_settings(cluster="web",
                                settings=[{"name": "containerInsights", "value": "enabled"}])
    u = ecs.update_cluster(cluster="web", settings=[{"name": "containerInsights",
                                                      "value": "disabled"}])["cluster"]
    bc.expect_eq(u["settings"], [{"name": "containerInsights", "value": "disabled"}], "update")
    ecs.tag_resource(resourceArn=bc.arn("web"), tags=[{"key": "a", "value": "1"}])
    ecs.untag_resource(resourceArn=bc.arn("web"), tagKeys=["k"])
    bc.expect_eq(ecs.list_tags_for_resource(resourceArn=bc.arn("web"))["tags"],
                 [{"key": "a", "value": "1"}], "tags")
    ecs.put_account_setting_default(name="awsvpcTrunking", value="enabled")
    ecs.put_account_setting(name="containerInsights", value="enabled")
    settings = ecs.list_account_settings(effectiveSettings=True)["settings"]
    bc.expect_eq({x["name"]: x["value"] for x in settings}["awsvpcTrunking"], "enabled",
                 "effective default")
    pages = list(ecs.get_paginator("list_account_settings").paginate(
        effectiveSettings=True, PaginationConfig={"PageSize": 2}))
    bc.expect_eq([len(p["settings"]) for p in pages], [2, 2, 1], "account settings pages")
    bc.expect_eq(ecs.delete_account_setting(name="containerInsights")["setting"]["value"],
                 "enabled", "delete")
    bc.expect_eq(ecs.delete_cluster(cluster="web")["cluster"]["status"], "INACTIVE", "delete")

    # Service errors, as botocore parses them.
    bc.expect_client_error(lambda: ecs.delete_cluster(cluster="web"),
                           "ClusterNotFoundException", "Cluster not found.")
    bc.expect_client_error(lambda: ecs.list_clusters(maxResults=0),
                           "InvalidParameterException", "maxResults must be between 1 and 100.")
    bc.expect_client_error(lambda: ecs.list_clusters(nextToken="bad"),
                           "InvalidParameterException", "The nextToken provided is not valid.")
    bc.expect_client_error(
        lambda: ecs.create_cluster(tags=[{"key": f"k{i}", "value": "v"} for i in range(51)]),
        "InvalidParameterException", "A request can have at most 50 tags; this one has 51.")
    bc.expect_client_error(lambda: ecs.put_account_setting(name="taskLongArnFormat",
                                                           value="disabled"),
                           "InvalidParameterException")
    e = bc.expect_client_error(lambda: ecs.describe_clusters(include=["NOPE"]),
                               "InvalidParameterException")
    bc.expect_in("x-amzn-requestid", {k.lower() for k in e.response["ResponseMetadata"]
                                      ["HTTPHeaders"]}, "request id header")

    # Protocol errors through raw signed requests.
    status, headers, body = s.raw(b, bc.TARGET_PREFIX + "LaunchRockets", "{}")
    bc.expect_eq(status, 400, "unknown operation status")
    bc.expect_eq(json.loads(body)["__type"], "UnknownOperationException", "unknown operation")
    bc.expect_eq(headers.get("Content-Type"), "application/x-amz-json-1.1", "content type")
    status, _, body = s.raw(b, None, "{}")
    bc.expect_eq(json.loads(body)["__type"], "UnknownOperationException", "no X-Amz-Target")
    status, _, body = s.raw(b, bc.TARGET_PREFIX + "ListClusters", '{"maxResults":')
    bc.expect_eq((status, json.loads(body)["__type"]), (400, "SerializationException"),
                 "truncated JSON")
    status, _, body = s.raw(b, bc.TARGET_PREFIX + "ListClusters", '{"maxResults":"10"}')
    bc.expect_eq(json.loads(body)["__type"], "SerializationException", "string for an integer")
    status, _, body = s.raw(b, bc.TARGET_PREFIX + "CreateCluster",
                            '{"clusterName":"x","tags":{"key":"a"}}')
    bc.expect_eq(json.loads(body),
                 {"__type": "SerializationException",
                  "message": "Invalid type for 'tags': expected a list, got a structure."},
                 "structure for a list")
    status, _, body = s.raw(b, bc.TARGET_PREFIX + "DeleteCluster", "{}")
    bc.expect_eq(json.loads(body), {"__type": "InvalidParameterException",
                                    "message": "Missing required parameter 'cluster'."},
                 "missing required member")
    status, _, body = s.raw(b, bc.TARGET_PREFIX + "CreateCluster",
                            '{"clusterName":"extra","someFutureMember":{"x":[1]}}')
    bc.expect_eq(status, 200, "unknown members are ignored")
    status, _, _ = s.raw(b, None, "", method="GET")
    bc.expect_eq(status, 404, "GET /")
    status, _, _ = s.raw(b, bc.TARGET_PREFIX + "ListClusters", "{}", path="/v2/")
    bc.expect_eq(status, 404, "POST to another path")
    status, _, body = s.raw(b, bc.TARGET_PREFIX + "ListClusters", "{" + " " * (2 << 20) + "}")
    bc.expect_eq((status, json.loads(body)["__type"]), (413, "RequestEntityTooLargeException"),
                 "oversized body")
    e = bc.expect_client_error(lambda: ecs.create_cluster(clusterName="x" * (1 << 20)),
                               "RequestEntityTooLargeException", status=413)
    metrics = b.metrics()
    bc.expect_in('berth_api_requests_total{operation="unknown",error="UnknownOperationException"} 2',
                 metrics, "metrics")
    bc.expect_in("berth_store_commits_total", metrics, "commit metrics")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
