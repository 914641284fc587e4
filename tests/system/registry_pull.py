"""Images pulled from a real registry: Debian's docker-registry on 127.0.0.1,
images built with umoci from busybox-static and pushed with skopeo
(tests/fixtures/registry.py), run by berth-control + berth-agent + the aws CLI.

- OCI and Docker schema 2 manifests, a two-layer image with whiteouts, an OCI
  index and a Docker manifest list with two platforms: each runs, sees its
  files, exits 0; HTTPS with the registry's CA in BERTH_REGISTRY_CERTS_DIR
  (and without it: the certificate is refused);
  describe-tasks has the manifest digest, /v1/tasks the image id;
- htpasswd (Basic) and bearer-token registries with ECS_ENGINE_AUTH_TYPE /
  ECS_ENGINE_AUTH_DATA, and a wrong password that fails the task;
- faults, through a proxy of the tests' own: 500 then 200, a connection
  dropped mid-layer (resumed with a Range request), a corrupted layer
  (CannotPullContainerError, nothing unpacked), a manifest for arm64 only, a
  layer with ../ entries and one escaping through an absolute symlink;
- warm launches: with ECS_IMAGE_PULL_BEHAVIOR=default one manifest HEAD and
  nothing else; with prefer-cached no request at all.
"""
import os
import sys

import berth_system as bs
from berth_compat import expect_eq

sys.path.insert(0, os.path.join(bs.ROOT, "tests", "fixtures"))
import registry as rf  # noqa: E402


def run_to_exit(s, control, cluster, family, image, command, timeout=90):
    """Registers `family`, runs it, waits for STOPPED; the stopped task."""
    s.register(control, family, [{"name": "app", "image": image, "essential": True,
                                  "memory": 64, "command": command}])
    arn = s.run_task(control, cluster, family)[0]
    return s.wait_status(control, cluster, arn, "STOPPED", timeout=timeout)


def expect_exit_0(task, what):
    c = task["containers"][0]
    if c.get("exitCode") != 0:
        raise AssertionError(f"{what}: exit code {c.get('exitCode')}, reason "
                             f"{c.get('reason')!r}, task {task.get('stoppedReason')!r}")


def expect_pull_error(task, words, what):
    reason = task["containers"][0].get("reason", "")
    if not reason.startswith("CannotPullContainerError: "):
        raise AssertionError(f"{what}: reason {reason!r} is not a CannotPullContainerError")
    for w in words:
        if w not in reason:
            raise AssertionError(f"{what}: reason {reason!r} does not say {w!r}")
    if "exitCode" in task["containers"][0]:
        raise AssertionError(f"{what}: a container that never ran has an exit code")


def main(s):
    missing = rf.missing_requirements()
    if missing:
        print("SKIP: " + "; ".join(missing))
        sys.exit(bs.SKIP)
    images_dir = os.path.join(s.build_dir, "tests", "registry-images")
    control = s.berth()
    control.start()

    # --- an open registry, through a proxy that can misbehave ---------------
    with rf.Registry(auth="none") as reg, rf.FaultProxy(reg) as proxy:
        host = proxy.host
        oci = reg.push_busybox("busybox", "latest", images_dir)
        reg.push_busybox("busybox", "v2s2", images_dir, fmt="v2s2")
        reg.push_busybox("layered", "latest", images_dir, whiteouts=True)
        reg.push_index("multi", "latest", images_dir)
        reg.push_index("multi", "list", images_dir, fmt="v2s2")
        reg.push_platform_image("armonly", "latest", images_dir, platform="linux/arm64/v8")
        reg.push_raw("evil", "dotdot", [rf.dotdot_layer()])
        reg.push_raw("evil", "symlink", [rf.symlink_escape_layer()])

        s.aws(control, "create-cluster", "--cluster-name", "pull")
        agent = s.agent(control, "pull", extra_config={
            "BERTH_INSECURE_REGISTRIES": host,
            "ECS_IMAGE_PULL_BEHAVIOR": "default",
            # /v1/tasks is read after a task stopped: keep stopped tasks known
            # (the harness's 1 s would forget them before the check).
            "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "10m",
        })
        agent.start()

        # The first pull on this node, through faults: the manifest answers
        # 500 once, and the connection drops 20 kB into the busybox layer.
        layer = reg.blob_digests("busybox", "latest")[0]
        proxy.status(500, method="GET", path_re=r"/v2/busybox/manifests/latest", times=1)
        proxy.truncate(20000, method="GET", path_re="/v2/busybox/blobs/" + layer, times=1)
        task = run_to_exit(s, control, "pull", "oci", f"{host}/busybox:latest",
                           ["sh", "-c", "test -x /bin/busybox && echo ok"])
        expect_exit_0(task, "OCI image, pulled through a 500 and a dropped connection")
        gets = proxy.requests(method="GET", path_re="/v2/busybox/blobs/" + layer)
        expect_eq(len(gets), 2, "GETs of the busybox layer (dropped, then resumed)")
        if not gets[1].range or not gets[1].range.startswith("bytes=20000-"):
            raise AssertionError(f"the dropped layer was not resumed from byte 20000: "
                                 f"{gets[1].range!r}")
        expect_eq(task["containers"][0].get("imageDigest"), oci, "imageDigest of the OCI image")
        status, body = agent.get("/v1/tasks?taskarn=" + task["taskArn"])
        expect_eq(status, 200, "/v1/tasks status")
        expect_eq(body["Containers"][0].get("ImageID"), reg.config_digest("busybox", "latest"),
                  "ImageID (the config digest)")

        expect_exit_0(run_to_exit(s, control, "pull", "v2s2", f"{host}/busybox:v2s2",
                                  ["true"]), "Docker schema 2 image")
        expect_exit_0(run_to_exit(
            s, control, "pull", "layered", f"{host}/layered",
            ["sh", "-c", "test ! -e /data/deleted.txt && test ! -e /data/olddir/a && "
                         "test -f /data/olddir/c && test -f /data/dir2file && "
                         "test \"$(cat /data/kept.txt)\" = v2"]), "whiteouts")
        expect_exit_0(run_to_exit(s, control, "pull", "multi", f"{host}/multi:latest",
                                  ["true"]), "two-platform OCI index")
        expect_exit_0(run_to_exit(s, control, "pull", "list", f"{host}/multi:list",
                                  ["true"]), "two-platform Docker manifest list")

        # Warm: the same image again costs one HEAD of its manifest.
        proxy.clear()
        expect_exit_0(run_to_exit(s, control, "pull", "oci2", f"{host}/busybox:latest",
                                  ["true"]), "warm launch")
        seen = [(r.method, r.path) for r in proxy.requests()]
        expect_eq(seen, [("HEAD", "/v2/busybox/manifests/latest")],
                  "requests of a warm launch with the default behaviour")

        # A layer served corrupted every time: the task fails, nothing is
        # unpacked.
        reg.push_raw("corrupt", "latest", [rf.make_tar_gz([rf.tar_file("unique.txt", b"u")])])
        proxy.corrupt_body(method="GET", path_re=r"/v2/corrupt/blobs/")
        layers_dir = os.path.join(agent.data_dir, "images", "layers")
        layers_before = set(os.listdir(layers_dir))
        task = run_to_exit(s, control, "pull", "corrupt", f"{host}/corrupt:latest", ["true"])
        expect_pull_error(task, ["failed verification"], "a corrupted layer")
        expect_eq(set(os.listdir(layers_dir)), layers_before, "layers after a corrupt pull")

        task = run_to_exit(s, control, "pull", "arm", f"{host}/armonly:latest", ["true"])
        expect_pull_error(task, ["arm64"], "a manifest for arm64 only")

        for ref in ("dotdot", "symlink"):
            task = run_to_exit(s, control, "pull", f"evil-{ref}", f"{host}/evil:{ref}", ["true"])
            expect_pull_error(task, [], f"a hostile layer ({ref})")
        for leftover in ("/tmp/berth-escape-dotdot", "/tmp/berth-escape-symlink"):
            if os.path.lexists(leftover):
                raise AssertionError(f"a hostile layer wrote {leftover}")
        agent.stop()

        # prefer-cached: a restarted agent launches a cached image without
        # asking the registry anything.
        agent.extra_config["ECS_IMAGE_PULL_BEHAVIOR"] = "prefer-cached"
        agent.start()
        proxy.clear()
        expect_exit_0(run_to_exit(s, control, "pull", "cached", f"{host}/busybox:latest",
                                  ["true"]), "prefer-cached launch")
        expect_eq(proxy.requests(), [], "requests of a prefer-cached launch")
        agent.stop()

    # --- HTTPS with the registry's own CA -----------------------------------
    with rf.Registry(auth="htpasswd", tls=True) as reg:
        reg.push_busybox("secure/app", "v1", images_dir)
        certs = os.path.join(s.tmp, "certs.d")
        os.makedirs(os.path.join(certs, reg.host))
        with open(reg.ca_path, "rb") as src, \
                open(os.path.join(certs, reg.host, "ca.crt"), "wb") as dst:
            dst.write(src.read())
        s.aws(control, "create-cluster", "--cluster-name", "tls")
        auth = ('{"%s":{"username":"%s","password":"%s"}}'
                % (reg.host, reg.username, reg.password))
        agent = s.agent(control, "tls", name="agent-tls", extra_config={
            "BERTH_REGISTRY_CERTS_DIR": certs,
            "ECS_ENGINE_AUTH_TYPE": "docker",
            "ECS_ENGINE_AUTH_DATA": auth,
        })
        agent.start()
        expect_exit_0(run_to_exit(s, control, "tls", "secure", f"{reg.host}/secure/app:v1",
                                  ["true"]), "HTTPS registry with its CA in the certs dir")
        agent.stop()
        # Without its CA the registry's certificate is not trusted.
        agent.extra_config["BERTH_REGISTRY_CERTS_DIR"] = os.path.join(s.tmp, "no-certs.d")
        agent.extra_config["ECS_IMAGE_PULL_BEHAVIOR"] = "always"
        agent.start()
        task = run_to_exit(s, control, "tls", "untrusted", f"{reg.host}/secure/app:v1", ["true"])
        expect_pull_error(task, ["certificate"], "HTTPS registry whose CA is not trusted")
        agent.stop()

    # --- registries that want credentials -----------------------------------
    for auth in ("htpasswd", "token"):
        with rf.Registry(auth=auth) as reg:
            reg.push_busybox("private/app", "v1", images_dir)
            cluster = f"auth-{auth}"
            s.aws(control, "create-cluster", "--cluster-name", cluster)
            data = ('{"%s":{"username":"%s","password":"%s"}}'
                    % (reg.host, reg.username, reg.password))
            agent = s.agent(control, cluster, name=f"agent-{auth}", extra_config={
                "BERTH_INSECURE_REGISTRIES": reg.host,
                "ECS_ENGINE_AUTH_TYPE": "docker",
                "ECS_ENGINE_AUTH_DATA": data,
            })
            agent.start()
            expect_exit_0(run_to_exit(s, control, cluster, "private",
                                      f"{reg.host}/private/app:v1", ["true"]),
                          f"{auth} registry with credentials")
            if auth == "token" and not reg.token_requests:
                raise AssertionError("the bearer flow asked the token server nothing")
            agent.stop()
            # A wrong password: the task stops with the registry's refusal.
            agent.extra_config["ECS_ENGINE_AUTH_DATA"] = data.replace(reg.password, "wrong")
            agent.extra_config["ECS_IMAGE_PULL_BEHAVIOR"] = "always"
            agent.start()
            task = run_to_exit(s, control, cluster, "denied", f"{reg.host}/private/app:v1",
                               ["true"])
            expect_pull_error(task, [], f"{auth} registry with a wrong password")
            agent.stop()


if __name__ == "__main__":
    bs.run(main)
