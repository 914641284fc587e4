#!/usr/bin/python3
"""ListTaskDefinitions and ListTaskDefinitionFamilies over 250 task
definitions: the CLI's auto-paging (default and --page-size),
--max-items/--starting-token, --sort DESC, and boto3 paginators."""
import berth_compat as bc

TD_ARN = f"arn:aws:ecs:{bc.REGION}:{bc.ACCOUNT}:task-definition/"
COUNT = 250
FAMILIES = 50  # 5 revisions each


def main(s):
    b = s.berth()
    b.start()
    ecs = s.client(b)
    container = [{"name": "app", "image": "nginx", "memory": 64}]
    # Interleaved so revisions of a family are not registered back to back.
    for rev in range(1, COUNT // FAMILIES + 1):
        for f in range(FAMILIES):
            out = ecs.register_task_definition(family=f"fam{f:02d}",
                                               containerDefinitions=container)
            bc.expect_eq(out["taskDefinition"]["revision"], rev, "revision")
    families = [f"fam{f:02d}" for f in range(FAMILIES)]
    expected = [f"{TD_ARN}{fam}:{rev}" for fam in families for rev in range(1, 6)]

    def calls(op):
        return b.metric("berth_api_requests_total", f'operation="{op}",error="none"')

    before = calls("ListTaskDefinitions")
    _, out, _ = s.aws(b, "list-task-definitions")
    bc.expect_eq(out["taskDefinitionArns"], expected, "auto-paged list")
    bc.expect_eq(calls("ListTaskDefinitions") - before, 3, "requests at the default page size")

    before = calls("ListTaskDefinitions")
    _, out, _ = s.aws(b, "list-task-definitions", "--page-size", "7")
    bc.expect_eq(out["taskDefinitionArns"], expected, "auto-paged list, 7 per page")
    bc.expect_eq(calls("ListTaskDefinitions") - before, 36, "requests at 7 per page")

    _, out, _ = s.aws(b, "list-task-definitions", "--sort", "DESC")
    bc.expect_eq(out["taskDefinitionArns"], expected[::-1], "DESC")

    _, first, _ = s.aws(b, "list-task-definitions", "--max-items", "120")
    bc.expect_eq(first["taskDefinitionArns"], expected[:120], "first 120")
    _, rest, _ = s.aws(b, "list-task-definitions", "--starting-token", first["NextToken"])
    bc.expect_eq(rest["taskDefinitionArns"], expected[120:], "the rest")

    _, out, _ = s.aws(b, "list-task-definitions", "--family-prefix", "fam07")
    bc.expect_eq(out["taskDefinitionArns"], [f"{TD_ARN}fam07:{r}" for r in range(1, 6)],
                 "one family")

    paginator = ecs.get_paginator("list_task_definitions")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 40}))
    bc.expect_eq([len(p["taskDefinitionArns"]) for p in pages], [40] * 6 + [10],
                 "boto3 page sizes")
    bc.expect_eq([a for p in pages for a in p["taskDefinitionArns"]], expected, "boto3 pages")
    pages = list(paginator.paginate(sort="DESC", PaginationConfig={"PageSize": 100}))
    bc.expect_eq([a for p in pages for a in p["taskDefinitionArns"]], expected[::-1],
                 "boto3 DESC pages")

    # Families: 50 names, paged; INACTIVE once every revision is deregistered.
    for rev in range(1, 6):
        ecs.deregister_task_definition(taskDefinition=f"fam13:{rev}")
    _, out, _ = s.aws(b, "list-task-definition-families", "--page-size", "9")
    bc.expect_eq(out["families"], families, "every family (ALL)")
    _, out, _ = s.aws(b, "list-task-definition-families", "--status", "ACTIVE")
    bc.expect_eq(out["families"], [f for f in families if f != "fam13"], "ACTIVE families")
    fam_pages = list(ecs.get_paginator("list_task_definition_families").paginate(
        status="INACTIVE", PaginationConfig={"PageSize": 1}))
    bc.expect_eq([f for p in fam_pages for f in p["families"]], ["fam13"], "INACTIVE families")
    fam_pages = list(ecs.get_paginator("list_task_definition_families").paginate(
        familyPrefix="fam1", PaginationConfig={"PageSize": 3}))
    bc.expect_eq([len(p["families"]) for p in fam_pages], [3, 3, 3, 1], "boto3 family pages")
    bc.expect_eq([f for p in fam_pages for f in p["families"]],
                 [f"fam1{i}" for i in range(10)], "family prefix")

    _, out, _ = s.aws(b, "list-task-definitions", "--status", "INACTIVE")
    bc.expect_eq(out["taskDefinitionArns"], [f"{TD_ARN}fam13:{r}" for r in range(1, 6)],
                 "INACTIVE revisions")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
