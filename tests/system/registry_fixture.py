#!/usr/bin/python3
"""system.registry_fixture: tests/fixtures/registry.py works, with skopeo as the client.

For auth none, htpasswd, token and once over TLS: Debian's docker-registry
takes the busybox images (OCI and Docker schema 2, one layer and the whiteout
pair), a two-platform OCI index, a Docker manifest list, an arm64-only image
and index, and two hostile hand-made layers, and skopeo inspect sees the right
media types, digests and architectures. htpasswd refuses a wrong password; the
token registry challenges with Bearer and the fixture's token server counts
the tokens it issues. FaultProxy's faults (500 then 200, 429 + Retry-After,
corrupt body, truncated body, delay, stall, Range) are seen through urllib,
and skopeo pushes through it to the token registry.

    registry_fixture.py <build dir>   (layouts are cached in <build>/tests/registry-images)
Exits 0, 1 (an assertion failed) or 77 (skip, naming what is missing).
"""
import base64
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import signal
import ssl
import sys
import tarfile
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))

SKIP = 77
CHECKS = []


def check(cond, what, detail=None):
    """Assert cond; what names the behaviour, detail (shown on failure) the evidence."""
    if not cond:
        raise AssertionError(what + (f": {detail}" if detail is not None else ""))
    CHECKS.append(what)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fetch(url, headers=None, method="GET", cafile=None, context=None):
    """(status, headers, body) over urllib without proxies; HTTP errors returned."""
    handlers = [urllib.request.ProxyHandler({})]
    if url.startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(
            context=context or ssl.create_default_context(cafile=cafile)))
    opener = urllib.request.build_opener(*handlers)
    req = urllib.request.Request(url, headers=dict(headers or {}), method=method)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def layout_manifest(rf, layout, tag):
    """(manifest digest, layer digests) of oci:<layout>:<tag>."""
    with open(os.path.join(layout, "index.json")) as f:
        for desc in json.load(f)["manifests"]:
            if desc["annotations"]["org.opencontainers.image.ref.name"] == tag:
                manifest = rf.read_layout(layout, tag)[0]
                return desc["digest"], [layer["digest"] for layer in manifest["layers"]]
    raise AssertionError(f"{tag} is not in {layout}")


def raw_manifest(reg, name):
    """skopeo inspect --raw: the manifest bytes as the registry serves them."""
    out = reg.skopeo("inspect", *reg.skopeo_flags(""), "--raw", reg.ref(name)).stdout
    return out.encode()


def tar_members(layer):
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer))) as tar:
        return {m.name: m for m in tar.getmembers()}


def exercise_images(rf, reg, images):
    """Push every kind of image the pull tests need; skopeo sees each right."""
    label = f"[auth={reg.auth} tls={reg.tls}]"
    single, single_tag = rf.busybox_layout(images)
    wo, wo_tag = rf.busybox_layout(images, whiteouts=True)
    single_digest, single_layers = layout_manifest(rf, single, single_tag)
    wo_digest, wo_layers = layout_manifest(rf, wo, wo_tag)

    # Single-layer OCI: skopeo keeps the layout's manifest byte for byte.
    d = reg.push_busybox("busybox", "oci", images)
    check(d == single_digest, f"{label} the OCI push keeps the layout's manifest digest",
          f"pushed {d}, layout {single_digest}")
    info = reg.inspect("busybox:oci")
    check(info["Digest"] == d and info["Architecture"] == "amd64" and info["Os"] == "linux",
          f"{label} skopeo inspect busybox:oci: digest, amd64, linux", info)
    check(info["Layers"] == single_layers, f"{label} busybox:oci has the layout's one layer",
          f"{info['Layers']} vs {single_layers}")
    raw = raw_manifest(reg, "busybox:oci")
    check(sha(raw) == d, f"{label} --raw bytes hash to the pushed digest")
    media, digest, manifest = reg.manifest("busybox", "oci")
    check(media == rf.OCI_MANIFEST and digest == d,
          f"{label} the registry serves busybox:oci as an OCI manifest", (media, digest))
    check(manifest["layers"][0]["mediaType"] == rf.OCI_LAYER_GZIP
          and manifest["config"]["mediaType"] == rf.OCI_CONFIG,
          f"{label} OCI layer and config media types")
    check(reg.blob_digests("busybox", "oci") == single_layers,
          f"{label} blob_digests names the layer")
    check(sha(reg.client.get_blob("busybox", single_layers[0])) == single_layers[0],
          f"{label} the layer blob's bytes hash to its digest")

    # Two layers, the second with whiteouts.
    d = reg.push_busybox("busybox", "whiteouts", images, whiteouts=True)
    info = reg.inspect("busybox:whiteouts")
    check(d == wo_digest and info["Digest"] == d and info["Layers"] == wo_layers
          and len(wo_layers) == 2, f"{label} whiteout image: the layout's 2 layers and digest",
          f"pushed {d}, layout {wo_digest} {wo_layers}, skopeo {info}")
    upper = tar_members(reg.client.get_blob("busybox", wo_layers[1]))
    check("data/.wh.deleted.txt" in upper and "data/olddir/.wh.a" in upper,
          f"{label} the second layer carries whiteout entries")

    # Docker schema 2, both images: same layer bytes, Docker media types.
    for tag, whiteouts, layers in (("v2s2", False, single_layers),
                                   ("v2s2-whiteouts", True, wo_layers)):
        d = reg.push_busybox("busybox", tag, images, fmt="v2s2", whiteouts=whiteouts)
        raw = json.loads(raw_manifest(reg, f"busybox:{tag}"))
        check(raw["mediaType"] == rf.DOCKER_MANIFEST
              and raw["config"]["mediaType"] == rf.DOCKER_CONFIG
              and {m["mediaType"] for m in raw["layers"]} == {rf.DOCKER_LAYER_GZIP},
              f"{label} busybox:{tag} is Docker schema 2 throughout")
        info = reg.inspect(f"busybox:{tag}")
        check(info["Digest"] == d and info["Layers"] == layers
              and info["Architecture"] == "amd64",
              f"{label} busybox:{tag}: its own digest, the OCI image's layers, amd64",
              f"pushed {d}, skopeo {info}")
        check(d != (single_digest if not whiteouts else wo_digest),
              f"{label} busybox:{tag}'s digest differs from the OCI manifest's")
    check(reg.manifest("busybox", "v2s2")[0] == rf.DOCKER_MANIFEST,
          f"{label} registry serves v2s2 with its Content-Type")

    # A two-platform OCI index.
    idx = reg.push_index("multi", "latest", images)
    raw_bytes = raw_manifest(reg, "multi:latest")
    raw = json.loads(raw_bytes)
    check(sha(raw_bytes) == idx.digest and raw["mediaType"] == rf.OCI_INDEX,
          f"{label} multi:latest is an OCI index with the pushed digest", raw)
    plats = {(m["platform"]["os"], m["platform"]["architecture"]): m["digest"]
             for m in raw["manifests"]}
    check(plats == {("linux", "amd64"): idx.manifests["linux/amd64"],
                    ("linux", "arm64"): idx.manifests["linux/arm64/v8"]},
          f"{label} the index lists linux/amd64 and linux/arm64 with their digests", plats)
    check(all(m["mediaType"] == rf.OCI_MANIFEST for m in raw["manifests"]),
          f"{label} index entries are OCI manifests")
    check(reg.inspect("multi:latest")["Architecture"] == "amd64",
          f"{label} skopeo picks amd64 out of the index on this host")
    check(reg.inspect("multi:latest", override_arch="arm64")["Architecture"] == "arm64",
          f"{label} skopeo --override-arch arm64 picks the arm64 image")
    arm_config = reg.inspect(f"multi@{idx.manifests['linux/arm64/v8']}", config=True)
    check(arm_config["architecture"] == "arm64" and arm_config.get("variant") == "v8",
          f"{label} the arm64 manifest's config says arm64/v8")

    # A Docker manifest list.
    lst = reg.push_docker_manifest_list("multi", "list", images)
    raw = json.loads(raw_manifest(reg, "multi:list"))
    check(raw["mediaType"] == rf.DOCKER_LIST
          and {m["mediaType"] for m in raw["manifests"]} == {rf.DOCKER_MANIFEST}
          and reg.manifest("multi", "list")[1] == lst.digest,
          f"{label} multi:list is a Docker manifest list of schema 2 manifests")
    check(reg.inspect("multi:list", override_arch="arm64")["Architecture"] == "arm64",
          f"{label} skopeo picks arm64 out of the manifest list")

    # arm64 only: a plain manifest and an index with no image for this host.
    d = reg.push_platform_image("arm", "only", images, "linux/arm64")
    info = reg.inspect("arm:only")
    check(info["Digest"] == d and info["Architecture"] == "arm64",
          f"{label} arm:only is a single arm64 image", info)
    reg.push_index("arm", "index", images, platforms=("linux/arm64",))
    r = reg.skopeo("inspect", *reg.skopeo_flags(""), reg.ref("arm:index"), check=False)
    check(r.returncode != 0 and "no image found" in r.stderr and "amd64" in r.stderr,
          f"{label} skopeo finds no amd64 image in the arm64-only index", r.stderr)

    # Hostile layers are stored as given (refusing them is the agent's job).
    for tag, layer, evil in (("dotdot", rf.dotdot_layer(), "../../../../../../tmp/"),
                             ("symlink", rf.symlink_escape_layer(), "link/")):
        d = reg.push_raw("hostile", tag, [layer])
        info = reg.inspect(f"hostile:{tag}")
        check(info["Digest"] == d and info["Layers"] == [sha(layer)],
              f"{label} hostile:{tag} pushed raw, skopeo sees its one layer")
        stored = reg.client.get_blob("hostile", sha(layer))
        members = tar_members(stored)
        check(stored == layer and any(n.startswith(evil) for n in members),
              f"{label} the registry serves hostile:{tag}'s layer byte for byte")
    link = tar_members(rf.symlink_escape_layer())["link"]
    check(link.issym() and link.linkname == "/tmp", "the symlink layer holds link -> /tmp")


def exercise_htpasswd(rf, reg):
    label = f"[htpasswd tls={reg.tls}]"
    status, headers, _ = fetch(reg.url + "/v2/", cafile=reg.ca_path)
    check(status == 401 and headers["WWW-Authenticate"].startswith("Basic realm="),
          f"{label} /v2/ without credentials: 401 with a Basic challenge")
    good = "Basic " + base64.b64encode(f"{reg.username}:{reg.password}".encode()).decode()
    bad = "Basic " + base64.b64encode(f"{reg.username}:wrong".encode()).decode()
    check(fetch(reg.url + "/v2/", {"Authorization": good}, cafile=reg.ca_path)[0] == 200,
          f"{label} /v2/ with the right password: 200")
    check(fetch(reg.url + "/v2/", {"Authorization": bad}, cafile=reg.ca_path)[0] == 401,
          f"{label} /v2/ with a wrong password: 401")
    r = reg.skopeo("inspect", *reg.skopeo_flags("", password="wrong"),
                   reg.ref("busybox:oci"), check=False)
    check(r.returncode != 0 and re.search(r"unauthorized|401", r.stderr, re.I),
          f"{label} skopeo with a wrong password is refused", r.stderr)


def exercise_token(rf, reg, images):
    label = "[token]"
    path = "/v2/busybox/manifests/oci"
    status, headers, _ = fetch(reg.url + path)
    challenge = headers.get("WWW-Authenticate", "")
    check(status == 401 and re.fullmatch(
        r'Bearer realm="http://127\.0\.0\.1:\d+/token",service="berth-test-registry",'
        r'scope="repository:busybox:pull"', challenge),
        f"{label} a request without a token: 401, Bearer realm, service and scope",
        (status, challenge))
    scheme, params = rf.parse_challenge(challenge)
    check(scheme == "bearer" and params["realm"] == reg.token_server.realm,
          f"{label} the challenge names the fixture's token server")

    before = len(reg.token_requests)
    reg.inspect("busybox:oci")
    new = reg.token_requests[before:]
    check(len(new) >= 1 and all(t["status"] == 200 and t["user"] == reg.username for t in new)
          and any("repository:busybox:pull" in t["query"].get("scope", []) for t in new),
          f"{label} skopeo inspect fetched tokens for repository:busybox:pull", new)

    basic = "Basic " + base64.b64encode(f"{reg.username}:{reg.password}".encode()).decode()
    query = "?service=berth-test-registry&scope=repository:busybox:pull"
    status, _, body = fetch(reg.token_server.realm + query, {"Authorization": basic})
    token = json.loads(body)
    check(status == 200 and token["expires_in"] == reg.token_expires_in and token["token"],
          f"{label} the token server answers token and expires_in")
    accept = {"Accept": rf.OCI_MANIFEST}
    check(fetch(reg.url + path, {"Authorization": "Bearer " + token["token"], **accept})[0]
          == 200, f"{label} the registry accepts the fixture's JWT (x5c, RS256)")
    forged = token["token"][:-6] + ("AAAAAA" if not token["token"].endswith("AAAAAA")
                                    else "BBBBBB")
    check(fetch(reg.url + path, {"Authorization": "Bearer " + forged, **accept})[0] == 401,
          f"{label} the registry refuses a token with a broken signature")
    wrong = "Basic " + base64.b64encode(f"{reg.username}:nope".encode()).decode()
    status, _, _ = fetch(reg.token_server.realm + query, {"Authorization": wrong})
    check(status == 401 and reg.token_requests[-1]["status"] == 401,
          f"{label} the token server refuses a wrong password with 401 and records it")
    r = reg.skopeo("inspect", *reg.skopeo_flags("", password="nope"),
                   reg.ref("busybox:oci"), check=False)
    check(r.returncode != 0, f"{label} skopeo with a wrong password gets no token")

    # skopeo through a FaultProxy to the token registry: Authorization goes
    # upstream and the upload Location comes back naming the proxy.
    layout, tag = rf.busybox_layout(images)
    with rf.FaultProxy(reg) as proxy:
        reg.skopeo("copy", "--quiet", "--dest-tls-verify=false", "--dest-creds",
                   f"{reg.username}:{reg.password}", f"oci:{layout}:{tag}",
                   f"docker://{proxy.host}/viaproxy:v1")
        puts = proxy.requests("PUT", r"/manifests/v1$")
        check(len(puts) == 1 and puts[0].status == 201
              and puts[0].headers.get("Authorization", "").startswith("Bearer "),
              f"{label} skopeo pushed through the proxy with a Bearer token")
        uploads = proxy.requests(path_re=r"/blobs/uploads/.+")
        check(uploads and all(u.status in (202, 201, 204) for u in uploads),
              f"{label} upload PATCH/PUT went to the proxy's rewritten Location")
    check(reg.inspect("viaproxy:v1")["Layers"] == layout_manifest(rf, layout, tag)[1],
          f"{label} the image pushed through the proxy is in the registry")


def exercise_tls(rf, reg):
    label = "[tls]"
    check(reg.url.startswith("https://127.0.0.1:") and os.path.isfile(reg.ca_path),
          f"{label} url is https and ca_path exists")
    try:
        fetch(reg.url + "/v2/", context=ssl.create_default_context(cafile=None))
        trusted = True
    except urllib.error.URLError as e:
        trusted = not isinstance(e.reason, ssl.SSLCertVerificationError)
    check(not trusted, f"{label} without the CA the certificate is not trusted")
    check(fetch(f"https://localhost:{reg.port}/v2/", cafile=reg.ca_path)[0] == 401,
          f"{label} with the CA, https://localhost answers too (a DNS SAN)")
    r = reg.skopeo("inspect", "--creds", f"{reg.username}:{reg.password}",
                   reg.ref("busybox:oci"), check=False)
    check(r.returncode != 0 and re.search(r"x509|certificate", r.stderr),
          f"{label} skopeo without --cert-dir rejects the certificate", r.stderr)


def exercise_proxy(rf, reg):
    label = "[proxy]"
    layer = reg.blob_digests("busybox", "oci")[0]
    full = reg.client.get_blob("busybox", layer)
    with rf.FaultProxy(reg) as proxy:
        url = f"{proxy.url}/v2/busybox/blobs/{layer}"
        blob_re = r"/blobs/sha256:"

        proxy.status(500, method="GET", path_re=blob_re, times=1)
        first, second = fetch(url), fetch(url)
        check(first[0] == 500 and second[0] == 200 and sha(second[2]) == layer,
              f"{label} 500 once, then 200 with the right bytes")
        recs = proxy.requests("GET", blob_re)
        check([(r.status, r.fault) for r in recs] == [(500, "status"), (200, None)],
              f"{label} both requests recorded with status and fault")
        proxy.clear()

        proxy.status(429, path_re=blob_re, times=1, headers={"Retry-After": "1"})
        status, headers, _ = fetch(url)
        check(status == 429 and headers["Retry-After"] == "1", f"{label} 429 with Retry-After")

        proxy.corrupt_body(path_re=blob_re, times=1)
        status, headers, body = fetch(url)
        check(status == 200 and len(body) == len(full) and sha(body) != layer
              and headers["Docker-Content-Digest"] == layer,
              f"{label} corrupt_body: full length, wrong sha256 under the right digest header")
        check(sha(fetch(url)[2]) == layer, f"{label} corrupt_body times=1: the next is intact")

        proxy.corrupt_body(path_re=blob_re, times=1, offset=-1)
        body = fetch(url)[2]
        check(body[:-1] == full[:-1] and body[-1] == full[-1] ^ 0xFF,
              f"{label} corrupt_body(offset=-1) flips the last byte only")

        proxy.truncate(1000, path_re=blob_re, times=1)
        try:
            fetch(url)
            short = None
        except http.client.IncompleteRead as e:
            short = len(e.partial)
        check(short == 1000, f"{label} truncate(1000): IncompleteRead after 1000 bytes", short)
        check(proxy.requests("GET", blob_re)[-1].bytes_sent == 1000,
              f"{label} the truncated request records 1000 bytes sent")

        status, headers, body = fetch(url, {"Range": "bytes=0-99"})
        check(status == 206 and body == full[:100]
              and headers["Content-Range"] == f"bytes 0-99/{len(full)}",
              f"{label} Range bytes=0-99 passes through: 206 and the first 100 bytes")
        check(proxy.requests("GET", blob_re)[-1].range == "bytes=0-99",
              f"{label} the Range header is recorded")

        proxy.delay(0.4, path_re=blob_re, times=1)
        t = time.monotonic()
        ok = fetch(url)
        check(ok[0] == 200 and time.monotonic() - t >= 0.4, f"{label} delay(0.4) holds the answer")

        proxy.stall(4096, 0.4, path_re=blob_re, times=1)
        t = time.monotonic()
        body = fetch(url)[2]
        check(body == full and time.monotonic() - t >= 0.4,
              f"{label} stall(4096, 0.4) pauses mid-body, then sends the rest")

        # skopeo (Go's HTTP client, repeated Accept headers) pulls through it, and
        # sees the faults the agent will: a dropped connection, a wrong digest.
        dest = os.path.join(reg.workdir, "pulled")
        pull = ["copy", "--src-tls-verify=false", f"docker://{proxy.host}/busybox:oci",
                f"dir:{dest}"]
        r = reg.skopeo(*pull, check=False)
        check(r.returncode == 0, f"{label} skopeo pulls busybox:oci through the proxy", r.stderr)
        proxy.truncate(5000, path_re="/blobs/" + layer, times=1)
        r = reg.skopeo(*pull, check=False)
        check(r.returncode != 0 and "unexpected EOF" in r.stderr,
              f"{label} skopeo sees the truncated layer as an unexpected EOF", r.stderr)
        proxy.corrupt_body(path_re="/blobs/" + layer, times=1, offset=len(full) // 2)
        r = reg.skopeo(*pull, check=False)
        check(r.returncode != 0 and f"expected {layer}" in r.stderr,
              f"{label} skopeo sees the corrupt layer as a digest mismatch", r.stderr)

        r = proxy.client().request("POST", "/v2/busybox/blobs/uploads/")
        check(r.status == 202 and r.headers["location"].startswith(proxy.url + "/v2/busybox/"),
              f"{label} an upload's Location names the proxy", r.headers.get("location"))
        check(any(x.method == "POST" for x in proxy.requests()), f"{label} POST recorded")

    pid, digest = reg.proc.pid, reg.manifest("busybox", "oci")[1]
    reg.restart()
    check(reg.proc.pid != pid and reg.inspect("busybox:oci")["Digest"] == digest,
          "[restart] a restarted registry keeps its port and images")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    import registry as rf  # noqa: E402 - after the path is set
    missing = rf.missing_requirements()
    if missing:
        print("SKIP: missing " + "; ".join(missing))
        return SKIP
    # ctest's timeout and ^C: unwind so every registry and proxy is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    images = os.path.join(os.path.abspath(sys.argv[1]), "tests", "registry-images")
    started = time.monotonic()
    rf.busybox_layout(images)
    rf.busybox_layout(images, whiteouts=True)
    try:
        for auth, tls in (("none", False), ("htpasswd", False), ("token", False),
                          ("htpasswd", True)):
            with rf.Registry(auth=auth, tls=tls) as reg:
                try:
                    exercise_images(rf, reg, images)
                    if auth == "htpasswd":
                        exercise_htpasswd(rf, reg)
                    if auth == "token":
                        exercise_token(rf, reg, images)
                    if tls:
                        exercise_tls(rf, reg)
                    if auth == "none":
                        exercise_proxy(rf, reg)
                except BaseException:
                    print(f"--- docker-registry log (auth={auth} tls={tls}), last lines:")
                    print("\n".join(reg.log_text().splitlines()[-8:]))
                    raise
    except Exception as e:  # noqa: BLE001 - an assertion or a fixture error: both fail
        traceback.print_exc()
        print(f"FAIL: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        return 1
    for what in CHECKS:
        print("ok  " + what)
    print(f"PASS: {len(CHECKS)} checks in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
