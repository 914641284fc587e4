#!/usr/bin/python3
"""ListClusters over 250 clusters: the CLI's auto-paging (default and
--page-size), --max-items/--starting-token, and a boto3 paginator."""
import berth_compat as bc

COUNT = 250


def main(s):
    b = s.berth()
    b.start()
    ecs = s.client(b)
    names = [f"c{i:03d}" for i in range(COUNT)]
    for name in names:
        ecs.create_cluster(clusterName=name)
    expected = [bc.arn(n) for n in names]

    def list_calls():
        return b.metric("berth_api_requests_total", 'operation="ListClusters",error="none"')

    # The CLI follows nextToken on its own: 100 + 100 + 50.
    before = list_calls()
    _, out, _ = s.aws(b, "list-clusters")
    bc.expect_eq(out["clusterArns"], expected, "auto-paged list")
    bc.expect_eq(list_calls() - before, 3, "requests for 250 at the default page size")

    before = list_calls()
    _, out, _ = s.aws(b, "list-clusters", "--page-size", "7")
    bc.expect_eq(out["clusterArns"], expected, "auto-paged list, 7 per page")
    bc.expect_eq(list_calls() - before, 36, "requests for 250 at 7 per page")

    # --max-items hands out the CLI's own token; the next call resumes there.
    _, first, _ = s.aws(b, "list-clusters", "--max-items", "120")
    bc.expect_eq(first["clusterArns"], expected[:120], "first 120")
    _, rest, _ = s.aws(b, "list-clusters", "--starting-token", first["NextToken"])
    bc.expect_eq(rest["clusterArns"], expected[120:], "the rest")

    # boto3's paginator.
    paginator = ecs.get_paginator("list_clusters")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 40}))
    bc.expect_eq([len(p["clusterArns"]) for p in pages], [40] * 6 + [10], "boto3 page sizes")
    bc.expect_eq([a for p in pages for a in p["clusterArns"]], expected, "boto3 pages")
    bc.expect_eq(list(paginator.paginate().search("clusterArns[-1]"))[-1], expected[-1],
                 "JMESPath over pages")

    # A cluster deleted mid-listing neither repeats nor hides the others.
    page = ecs.list_clusters(maxResults=100)
    ecs.delete_cluster(cluster="c099")
    ecs.delete_cluster(cluster="c100")
    nxt = ecs.list_clusters(maxResults=100, nextToken=page["nextToken"])
    bc.expect_eq(nxt["clusterArns"][0], bc.arn("c101"), "resumes after the last key")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
