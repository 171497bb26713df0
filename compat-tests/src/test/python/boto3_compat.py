#!/usr/bin/python3
"""boto3 (Debian's python3-boto3) against a Basalt endpoint.

usage: /usr/bin/python3 boto3_compat.py ENDPOINT WORKDIR
Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
BASALT_LIFECYCLE_DAY_SECONDS, when set, is the lifecycle day of the cluster's coordinator: the lifecycle
check then waits for its rules to act.
Runs every check, prints PASS/FAIL per check, and exits 1 if any failed.
"""
import hashlib
import os
import sys
import traceback

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.client import Config
from botocore.exceptions import ClientError

ENDPOINT, WORKDIR = sys.argv[1], sys.argv[2]
BUCKET = "boto3-compat"
MiB = 1 << 20

s3 = boto3.client(
    "s3",
    endpoint_url=ENDPOINT,
    region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)

failures = []


class Mismatch(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Mismatch(msg)


def equal(actual, expected, what):
    if actual != expected:
        raise Mismatch("%s: expected %r, got %r" % (what, expected, actual))


def error_of(fn):
    """Runs fn, which must fail with a ClientError; returns (code, http status)."""
    try:
        fn()
    except ClientError as e:
        return e.response.get("Error", {}).get("Code"), e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    raise Mismatch("expected an S3 error, the call succeeded")


def check(name):
    def run(fn):
        try:
            fn()
            print("PASS", name, flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next check runs
            failures.append(name)
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            if not isinstance(e, Mismatch):
                traceback.print_exc(file=sys.stdout)
        return fn
    return run


def data(seed, size):
    out = bytearray()
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 32
    return bytes(out[:size])


def quoted_md5(b):
    return '"%s"' % hashlib.md5(b).hexdigest()


def multipart_etag(b, part):
    digests = [hashlib.md5(b[i:i + part]).digest() for i in range(0, len(b), part)]
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


print("boto3", boto3.__version__, "botocore", botocore.__version__, flush=True)


@check("create_bucket / head_bucket")
def _():
    s3.create_bucket(Bucket=BUCKET)
    equal(s3.head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"], 200, "head_bucket status")
    equal(error_of(lambda: s3.head_bucket(Bucket="boto3-missing")), ("404", 404), "head_bucket of a missing bucket")


SMALL = data(1, 300_000)


@check("put_object / get_object / head_object")
def _():
    put = s3.put_object(Bucket=BUCKET, Key="dir/small.bin", Body=SMALL, ContentType="application/x-test",
                        Metadata={"k": "v"})
    equal(put["ETag"], quoted_md5(SMALL), "put_object ETag")
    got = s3.get_object(Bucket=BUCKET, Key="dir/small.bin")
    equal(got["Body"].read(), SMALL, "get_object body")
    equal(got["ETag"], quoted_md5(SMALL), "get_object ETag")
    equal(got["ContentType"], "application/x-test", "get_object ContentType")
    head = s3.head_object(Bucket=BUCKET, Key="dir/small.bin")
    equal(head["ContentLength"], len(SMALL), "head_object ContentLength")
    equal(head["ETag"], quoted_md5(SMALL), "head_object ETag")
    equal(head["Metadata"], {"k": "v"}, "head_object Metadata")


@check("get_object ranges")
def _():
    r = s3.get_object(Bucket=BUCKET, Key="dir/small.bin", Range="bytes=1000-1999")
    equal(r["Body"].read(), SMALL[1000:2000], "closed range body")
    equal(r["ContentRange"], "bytes 1000-1999/%d" % len(SMALL), "ContentRange")
    equal(r["ResponseMetadata"]["HTTPStatusCode"], 206, "range status")
    equal(s3.get_object(Bucket=BUCKET, Key="dir/small.bin", Range="bytes=-500")["Body"].read(), SMALL[-500:], "suffix range")
    equal(s3.get_object(Bucket=BUCKET, Key="dir/small.bin", Range="bytes=299000-")["Body"].read(), SMALL[299000:],
          "open range")
    equal(error_of(lambda: s3.get_object(Bucket=BUCKET, Key="dir/small.bin", Range="bytes=400000-")),
          ("InvalidRange", 416), "unsatisfiable range")


@check("errors: NoSuchKey, NoSuchBucket, head 404")
def _():
    equal(error_of(lambda: s3.get_object(Bucket=BUCKET, Key="missing")), ("NoSuchKey", 404), "get of a missing key")
    equal(error_of(lambda: s3.head_object(Bucket=BUCKET, Key="missing")), ("404", 404), "head of a missing key")
    equal(error_of(lambda: s3.get_object(Bucket="boto3-missing", Key="k")), ("NoSuchBucket", 404),
          "get in a missing bucket")


KEYS = ["list/%02d" % i for i in range(7)] + ["list/sub/a", "list/sub/b", "list/zz/c"]


@check("list_objects_v2 with paginator")
def _():
    for k in KEYS:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    seen, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="list/",
                                                              PaginationConfig={"PageSize": 3}):
        pages += 1
        if page.get("IsTruncated"):
            expect(page.get("NextContinuationToken"), "a truncated page without NextContinuationToken")
        seen += [o["Key"] for o in page.get("Contents", [])]
    equal(seen, KEYS, "recursive keys")
    equal(pages, 4, "pages of 3 keys")
    names, prefixes = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="list/", Delimiter="/",
                                                              PaginationConfig={"PageSize": 2}):
        names += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    equal(names, KEYS[:7], "delimited keys")
    equal(prefixes, ["list/sub/", "list/zz/"], "common prefixes")
    one = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/03")
    equal([(o["Key"], o["Size"], o["ETag"]) for o in one["Contents"]], [("list/03", 7, quoted_md5(b"list/03"))],
          "listed size and ETag")


@check("delete_object")
def _():
    s3.put_object(Bucket=BUCKET, Key="gone", Body=b"x")
    equal(s3.delete_object(Bucket=BUCKET, Key="gone")["ResponseMetadata"]["HTTPStatusCode"], 204, "delete status")
    equal(error_of(lambda: s3.head_object(Bucket=BUCKET, Key="gone")), ("404", 404), "head after delete")
    equal(s3.delete_object(Bucket=BUCKET, Key="gone")["ResponseMetadata"]["HTTPStatusCode"], 204,
          "delete of a missing key")


@check("upload_file 20 MiB (multipart) / download_file")
def _():
    src = os.path.join(WORKDIR, "boto3-big.bin")
    back = os.path.join(WORKDIR, "boto3-big.back")
    big = data(2, 20 * MiB)
    with open(src, "wb") as f:
        f.write(big)
    cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
    s3.upload_file(src, BUCKET, "big.bin", Config=cfg)
    head = s3.head_object(Bucket=BUCKET, Key="big.bin")
    equal(head["ContentLength"], len(big), "uploaded size")
    equal(head["ETag"], multipart_etag(big, 8 * MiB), "multipart ETag")
    s3.download_file(BUCKET, "big.bin", back, Config=cfg)
    with open(back, "rb") as f:
        got = f.read()
    equal(hashlib.sha256(got).hexdigest(), hashlib.sha256(big).hexdigest(), "SHA-256 of the downloaded file")


@check("low-level multipart: create / upload_part / list_parts / complete / abort")
def _():
    part = 5 * MiB
    body = data(3, 2 * part + 1234)
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp.bin")["UploadId"]
    parts = []
    for n, off in enumerate(range(0, len(body), part), start=1):
        r = s3.upload_part(Bucket=BUCKET, Key="mp.bin", UploadId=up, PartNumber=n, Body=body[off:off + part])
        equal(r["ETag"], quoted_md5(body[off:off + part]), "upload_part %d ETag" % n)
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    equal([p["PartNumber"] for p in s3.list_parts(Bucket=BUCKET, Key="mp.bin", UploadId=up)["Parts"]], [1, 2, 3],
          "list_parts")
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="mp.bin", UploadId=up, MultipartUpload={"Parts": parts})
    equal(done["ETag"], multipart_etag(body, part), "complete ETag")
    equal(s3.get_object(Bucket=BUCKET, Key="mp.bin")["Body"].read(), body, "multipart object body")
    ab = s3.create_multipart_upload(Bucket=BUCKET, Key="aborted")["UploadId"]
    s3.abort_multipart_upload(Bucket=BUCKET, Key="aborted", UploadId=ab)
    equal(error_of(lambda: s3.list_parts(Bucket=BUCKET, Key="aborted", UploadId=ab))[0], "NoSuchUpload",
          "list_parts after abort")


@check("complete_multipart_upload retried after a lost answer: the same 200 and ETag")
def _():
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="retried.bin")["UploadId"]
    etag = s3.upload_part(Bucket=BUCKET, Key="retried.bin", UploadId=up, PartNumber=1, Body=b"only part")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=BUCKET, Key="retried.bin", UploadId=up, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=BUCKET, Key="retried.bin", UploadId=up, MultipartUpload=parts)
    equal(again["ETag"], first["ETag"], "the retry's ETag")
    equal(error_of(lambda: s3.complete_multipart_upload(Bucket=BUCKET, Key="retried.bin", UploadId="nope",
                                                        MultipartUpload=parts))[0], "NoSuchUpload", "an unknown id")


def put_if(header, value, **kw):
    """put_object with a conditional header; added before signing, as Debian's botocore (1.29) has no IfMatch."""
    def add(request, **_):
        request.headers[header] = value
    s3.meta.events.register_first("before-sign.s3.PutObject", add)
    try:
        return s3.put_object(**kw)
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", add)


@check("put_object If-Match / If-None-Match: conditional writes")
def _():
    v1 = s3.put_object(Bucket=BUCKET, Key="cas", Body=b"v1")["ETag"]
    v2 = put_if("If-Match", v1, Bucket=BUCKET, Key="cas", Body=b"v2")["ETag"]
    equal(error_of(lambda: put_if("If-Match", v1, Bucket=BUCKET, Key="cas", Body=b"lost")),
          ("PreconditionFailed", 412), "If-Match with a stale ETag")
    equal(error_of(lambda: put_if("If-None-Match", "*", Bucket=BUCKET, Key="cas", Body=b"x")),
          ("PreconditionFailed", 412), "If-None-Match on an existing key")
    equal(error_of(lambda: put_if("If-Match", v2, Bucket=BUCKET, Key="cas-absent", Body=b"x")),
          ("NoSuchKey", 404), "If-Match on an absent key")
    equal(s3.get_object(Bucket=BUCKET, Key="cas")["Body"].read(), b"v2", "the body after the refusals")


@check("create_bucket with a LocationConstraint / get_bucket_location; delete_bucket aborts unfinished uploads")
def _():
    s3.create_bucket(Bucket="boto3-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    equal(s3.get_bucket_location(Bucket="boto3-eu")["LocationConstraint"], "eu-west-1", "the bucket's location")
    equal(s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"], None, "us-east-1 is no constraint")
    up = s3.create_multipart_upload(Bucket="boto3-eu", Key="unfinished")["UploadId"]
    s3.upload_part(Bucket="boto3-eu", Key="unfinished", UploadId=up, PartNumber=1, Body=data(4, MiB))
    s3.delete_bucket(Bucket="boto3-eu")
    equal(error_of(lambda: s3.head_bucket(Bucket="boto3-eu")), ("404", 404), "head_bucket after delete")


@check("object tagging: Tagging on put and copy, get/put/delete_object_tagging, S3's tag rules")
def _():
    s3.put_object(Bucket=BUCKET, Key="tagged", Body=b"t", Tagging="team=vector search&tier=hot")

    def tags(key):
        return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]}

    equal(tags("tagged"), {"team": "vector search", "tier": "hot"}, "tags put with the object")
    equal(s3.get_object(Bucket=BUCKET, Key="tagged")["TagCount"], 2, "get_object TagCount")
    s3.put_object_tagging(Bucket=BUCKET, Key="tagged", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    equal(tags("tagged"), {"k": "v"}, "tags after put_object_tagging")
    s3.copy_object(Bucket=BUCKET, Key="tagged-copy", CopySource={"Bucket": BUCKET, "Key": "tagged"})
    equal(tags("tagged-copy"), {"k": "v"}, "tags copied by default")
    s3.copy_object(Bucket=BUCKET, Key="tagged-copy", CopySource={"Bucket": BUCKET, "Key": "tagged"},
                   TaggingDirective="REPLACE", Tagging="new=1")
    equal(tags("tagged-copy"), {"new": "1"}, "tags replaced by the copy")
    s3.delete_object_tagging(Bucket=BUCKET, Key="tagged")
    equal(tags("tagged"), {}, "tags after delete_object_tagging")
    equal(s3.get_object(Bucket=BUCKET, Key="tagged")["Body"].read(), b"t", "the data after tagging")
    equal(error_of(lambda: s3.put_object(Bucket=BUCKET, Key="badtag", Body=b"x", Tagging="k=1&k=2"))[0],
          "InvalidTag", "a key given twice")
    equal(error_of(lambda: s3.get_object_tagging(Bucket=BUCKET, Key="badtag")), ("NoSuchKey", 404),
          "nothing stored by a refused put")


@check("bucket lifecycle: put / get / delete configuration, rules run by the coordinator")
def _():
    import time
    bucket = "boto3-lifecycle"
    s3.create_bucket(Bucket=bucket)
    equal(error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)),
          ("NoSuchLifecycleConfiguration", 404), "no configuration yet")
    rules = [
        {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {"ID": "scratch", "Status": "Enabled", "Filter": {"Tag": {"Key": "class", "Value": "scratch"}},
         "Expiration": {"Days": 1}},
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    equal(s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"], rules, "the rules read back")
    equal(error_of(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "t", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]})), ("NotImplemented", 501),
          "a transition: no storage classes here")
    if not os.environ.get("BASALT_LIFECYCLE_DAY_SECONDS"):
        # no coordinator with short days beside this cluster: the rules cannot be seen to run
        s3.delete_bucket_lifecycle(Bucket=bucket)
        return
    for key in ("tmp/a", "keep/a"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep/scratch", Body=b"x", Tagging="class=scratch")
    s3.create_multipart_upload(Bucket=bucket, Key="keep/unfinished")
    # the test's coordinator counts a lifecycle day in seconds
    deadline = time.time() + 30 * int(os.environ["BASALT_LIFECYCLE_DAY_SECONDS"])
    while time.time() < deadline:
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        if keys == ["keep/a"] and not uploads:
            break
        time.sleep(0.5)
    equal(keys, ["keep/a"], "objects left by the rules")
    equal(uploads, [], "unfinished uploads left by the rules")
    s3.delete_bucket_lifecycle(Bucket=bucket)
    equal(error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)),
          ("NoSuchLifecycleConfiguration", 404), "configuration deleted")


@check("user metadata beyond ASCII: signed as sent (UTF-8), the same bytes back")
def _():
    values = {"m": None}

    def add(request, **kw):
        request.headers["x-amz-meta-m"] = values["m"]

    # botocore refuses non-ASCII Metadata itself; a header added before signing goes out as UTF-8
    s3.meta.events.register("before-sign.s3.PutObject", add, unique_id="non-ascii-meta")
    try:
        for v in ("caf\u00e9", "\u4e2d\u6587 \u00fc"):
            values["m"] = v
            s3.put_object(Bucket=BUCKET, Key="non-ascii-meta", Body=b"x")
            got = s3.head_object(Bucket=BUCKET, Key="non-ascii-meta")["Metadata"]["m"]
            # http.client reads header bytes as ISO-8859-1: the bytes back are UTF-8 of the value
            equal(got.encode("latin-1").decode("utf-8"), v, "the metadata value read back")
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", unique_id="non-ascii-meta")


@check("list_objects (V1) and list_objects_v2 echo a prefix with a control character as sent")
def _():
    s3.put_object(Bucket=BUCKET, Key="line\nbreak/a", Body=b"x")
    for call in (s3.list_objects, s3.list_objects_v2):
        r = call(Bucket=BUCKET, Prefix="line\n", Delimiter="/")
        equal(r["Prefix"], "line\n", call.__name__ + " Prefix")
        equal([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["line\nbreak/"], call.__name__ + " CommonPrefixes")
    r = s3.list_objects(Bucket=BUCKET, Prefix="line\n")
    equal([o["Key"] for o in r["Contents"]], ["line\nbreak/a"], "list_objects Key")


@check("bucket versioning: versions, delete markers, list_object_versions, suspend")
def _():
    bucket = "boto3-versions"
    s3.create_bucket(Bucket=bucket)
    equal(s3.get_bucket_versioning(Bucket=bucket).get("Status"), None, "a new bucket is unversioned")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    equal(s3.get_bucket_versioning(Bucket=bucket).get("Status"), "Enabled", "versioning status")
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    expect(v1 != v2 and v1 != "null", "distinct version ids: %r %r" % (v1, v2))
    equal(s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read(), b"one", "an older version")
    listed = s3.list_object_versions(Bucket=bucket)
    equal([(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]], [(v2, True), (v1, False)], "versions")
    marker = s3.delete_object(Bucket=bucket, Key="k")
    equal(marker.get("DeleteMarker"), True, "a delete makes a marker")
    equal(error_of(lambda: s3.get_object(Bucket=bucket, Key="k")), ("NoSuchKey", 404), "hidden by the marker")
    equal(s3.list_objects_v2(Bucket=bucket).get("KeyCount"), 0, "the key is not listed")
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    equal(s3.get_object(Bucket=bucket, Key="k")["Body"].read(), b"two", "the marker removed, the key is back")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    equal(s3.put_object(Bucket=bucket, Key="k", Body=b"n").get("VersionId"), "null", "a write under Suspended")
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    equal(ids, ["null", v2, v1], "versions after a suspended write")
    for v in ids:
        s3.delete_object(Bucket=bucket, Key="k", VersionId=v)
    s3.delete_bucket(Bucket=bucket)


@check("an empty delimiter is left out of the answer; canned private ACLs are accepted")
def _():
    for call in (s3.list_objects, s3.list_objects_v2):
        r = call(Bucket=BUCKET, Delimiter="", Prefix="dir/")
        expect("Delimiter" not in r, "%s answered a Delimiter element: %r" % (call.__name__, r.get("Delimiter")))
        expect(len(r.get("Contents", [])) >= 1, call.__name__ + " lists dir/")
    s3.put_bucket_acl(Bucket=BUCKET, ACL="private")
    s3.put_object_acl(Bucket=BUCKET, Key="dir/small.bin", ACL="private")
    equal(error_of(lambda: s3.put_bucket_acl(Bucket=BUCKET, ACL="public-read"))[1], 501, "a public ACL")


if failures:
    print("boto3: %d check(s) failed: %s" % (len(failures), ", ".join(failures)), flush=True)
    sys.exit(1)
print("boto3: all checks passed", flush=True)
