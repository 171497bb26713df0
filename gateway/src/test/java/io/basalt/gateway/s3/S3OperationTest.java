package io.basalt.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The routing table, request shape by request shape, without a cluster: each line is a request
 * (method, target, optional headers) and the S3 operation it must be. Virtual-hosted requests
 * name their bucket in a Host header under the domain s3.local.
 */
class S3OperationTest {

    private static final String DOMAIN = "s3.local";

    private static final String SHAPES = """
            # The service: ListBuckets ignores the query; nothing else is allowed on it
            GET     /                                               ListBuckets
            GET     /?max-buckets=10&prefix=a                       ListBuckets
            GET     /?continuation-token=abc&max-buckets=1          ListBuckets
            GET     /?acl                                           ListBuckets
            PUT     /                                               MethodNotAllowed
            POST    /                                               MethodNotAllowed
            DELETE  /                                               MethodNotAllowed
            HEAD    /                                               MethodNotAllowed

            # Buckets
            PUT     /b                                              CreateBucket
            PUT     /b/                                             CreateBucket
            HEAD    /b                                              HeadBucket
            DELETE  /b                                              DeleteBucket
            GET     /b                                              ListObjects
            GET     /b/                                             ListObjects
            GET     /b?prefix=a&delimiter=%2F&marker=m              ListObjects
            GET     /b?list-type=1                                  ListObjects
            GET     /b?list-type=2                                  ListObjectsV2
            GET     /b?list-type=2&prefix=x&continuation-token=t    ListObjectsV2
            GET     /b?list-type=2&fetch-owner=true&start-after=a   ListObjectsV2
            GET     /b?location                                     GetBucketLocation
            GET     /b?location=                                    GetBucketLocation
            GET     /b?versions                                     ListObjectVersions
            GET     /b?versions&key-marker=a&version-id-marker=null ListObjectVersions
            GET     /b?versions&list-type=2                         ListObjectVersions
            GET     /b?uploads                                      ListMultipartUploads
            GET     /b?uploads&prefix=a&max-uploads=2               ListMultipartUploads
            POST    /b?delete                                       DeleteObjects
            POST    /b?delete=                                      DeleteObjects
            POST    /b                                              MethodNotAllowed
            PATCH   /b                                              MethodNotAllowed
            OPTIONS /b                                              MethodNotAllowed
            get     /b                                              MethodNotAllowed
            GET     /b?Acl                                          ListObjects
            GET     /b?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00 ListObjects

            # Bucket probes, answered as an unconfigured bucket would
            GET     /b?versioning                                   GetBucketVersioning
            GET     /b?acl                                          GetBucketAcl
            GET     /b?tagging                                      GetBucketTagging
            GET     /b?lifecycle                                    GetBucketLifecycleConfiguration
            GET     /b?policy                                       GetBucketPolicy
            GET     /b?cors                                         GetBucketCors
            GET     /b?encryption                                   GetBucketEncryption
            GET     /b?object-lock                                  GetObjectLockConfiguration

            # Other bucket subresources: refused, never the plain call (no CreateBucket, no DeleteBucket)
            PUT     /b?policy                                       PutBucketPolicy
            PUT     /b?versioning                                   PutBucketVersioning
            PUT     /b?acl                                          PutBucketAcl
            PUT     /b?logging                                      NotImplemented
            PUT     /b?lifecycle                                    PutBucketLifecycleConfiguration
            DELETE  /b?lifecycle                                    DeleteBucketLifecycle
            DELETE  /b?policy                                       DeleteBucketPolicy
            DELETE  /b?cors                                         NotImplemented
            DELETE  /b?tagging                                      NotImplemented
            GET     /b?website                                      NotImplemented
            GET     /b?logging                                      NotImplemented
            GET     /b?notification                                 NotImplemented
            GET     /b?replication                                  NotImplemented
            GET     /b?requestPayment                               NotImplemented
            GET     /b?accelerate                                   NotImplemented
            GET     /b?policyStatus                                 NotImplemented
            GET     /b?publicAccessBlock                            NotImplemented
            GET     /b?ownershipControls                            NotImplemented
            GET     /b?analytics                                    NotImplemented
            GET     /b?inventory                                    NotImplemented
            GET     /b?metrics                                      NotImplemented
            GET     /b?intelligent-tiering                          NotImplemented
            HEAD    /b?location                                     NotImplemented
            GET     /b?uploadId=u                                   NotImplemented
            POST    /b?uploads                                      NotImplemented
            GET     /b?delete                                       NotImplemented
            GET     /b?location&acl                                 NotImplemented
            GET     /b?versions&uploads                             NotImplemented

            # Objects
            PUT     /b/k                                            PutObject
            PUT     /b/dir/sub/k.txt                                PutObject
            PUT     /b/k  x-amz-copy-source:/src/k                  CopyObject
            PUT     /b/k  x-amz-copy-source:src/k%3Fx               CopyObject
            GET     /b/k                                            GetObject
            GET     /b/dir/                                         GetObject
            GET     /b/k?partNumber=1                               GetObject
            GET     /b/k?versionId=null                             GetObject
            GET     /b/k?response-content-type=text%2Fplain         GetObject
            GET     /b/k  x-amz-copy-source:/src/k                  GetObject
            GET     /b/k%3Facl                                      GetObject
            GET     /b/k?uploadid=u                                 GetObject
            HEAD    /b/k                                            HeadObject
            HEAD    /b/k?partNumber=2                               HeadObject
            DELETE  /b/k                                            DeleteObject
            DELETE  /b/k?versionId=null                             DeleteObject
            POST    /b/k                                            MethodNotAllowed
            PATCH   /b/k                                            MethodNotAllowed
            OPTIONS /b/k                                            MethodNotAllowed

            # Multipart uploads
            POST    /b/k?uploads                                    CreateMultipartUpload
            POST    /b/k?uploads=                                   CreateMultipartUpload
            POST    /b/k?uploads  x-amz-copy-source:/src/k          CreateMultipartUpload
            PUT     /b/k?partNumber=1&uploadId=u                    UploadPart
            PUT     /b/k?uploadId=u                                 UploadPart
            PUT     /b/k?partNumber=2&uploadId=u  x-amz-copy-source:/src/k  UploadPartCopy
            GET     /b/k?uploadId=u                                 ListParts
            GET     /b/k?uploadId=u&max-parts=2&part-number-marker=1 ListParts
            POST    /b/k?uploadId=u                                 CompleteMultipartUpload
            DELETE  /b/k?uploadId=u                                 AbortMultipartUpload
            HEAD    /b/k?uploadId=u                                 NotImplemented
            GET     /b/k?uploads                                    NotImplemented
            PUT     /b/k?uploads                                    NotImplemented
            DELETE  /b/k?uploads                                    NotImplemented
            POST    /b/k?uploads&uploadId=u                         NotImplemented

            # Object probes and other object subresources
            GET     /b/k?acl                                        GetObjectAcl
            GET     /b/a%20b/c?acl                                  GetObjectAcl
            GET     /b/k?tagging                                    GetObjectTagging
            GET     /b/k?tagging&versionId=null                     GetObjectTagging
            PUT     /b/k?tagging                                    PutObjectTagging
            DELETE  /b/k?tagging                                    DeleteObjectTagging
            PUT     /b/k?acl                                        PutObjectAcl
            GET     /b/k?retention                                  NotImplemented
            GET     /b/k?legal-hold                                 NotImplemented
            GET     /b/k?attributes                                 NotImplemented
            GET     /b/k?torrent                                    NotImplemented
            POST    /b/k?restore                                    NotImplemented
            POST    /b/k?select&select-type=2                       NotImplemented
            GET     /b/k?lifecycle                                  NotImplemented
            GET     /b/k?versioning                                 NotImplemented
            POST    /b/k?delete                                     NotImplemented
            PUT     /b/k?renameObject  x-amz-rename-source:/b/j     NotImplemented

            # MinIO's admin API: path-style only, under the reserved bucket name
            GET     /minio/admin/v3/info                            AdminInfo
            POST    /minio/admin/v3/service                         AdminInfo
            GET     /minio/admin/v3/info?acl                        AdminInfo
            GET     /minio/k                                        GetObject
            GET     /minio                                          ListObjects
            GET     /minio/admin                                    GetObject

            # Virtual-hosted style: the bucket from the Host, the whole path is the key
            GET     /             host:b.s3.local                   ListObjects
            GET     /?list-type=2 host:b.s3.local                   ListObjectsV2
            GET     /?acl         host:b.s3.local                   GetBucketAcl
            PUT     /             host:b.s3.local                   CreateBucket
            PUT     /?policy      host:b.s3.local                   PutBucketPolicy
            DELETE  /             host:b.s3.local:9000              DeleteBucket
            PUT     /k            host:b.s3.local                   PutObject
            PUT     /b/k          host:b.s3.local                   PutObject
            GET     /k?uploadId=u host:b.s3.local                   ListParts
            POST    /k?uploads    host:B.S3.LOCAL                   CreateMultipartUpload
            GET     /admin/v3/info host:minio.s3.local              GetObject
            GET     /             host:s3.local                     ListBuckets
            GET     /b/k          host:s3.local:9000                GetObject
            GET     /b/k          host:other.example                GetObject
            """;

    @Test
    void everyRequestShapeIsItsOperation() {
        List<String> wrong = new ArrayList<>();
        Set<S3Operation> seen = EnumSet.noneOf(S3Operation.class);
        int shapes = 0;
        for (String line : SHAPES.lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] words = line.split("\\s+");
            String expected = words[words.length - 1];
            S3Operation op =
                    S3Operation.of(request(words[0], words[1], Arrays.copyOfRange(words, 2, words.length - 1)), true);
            seen.add(op);
            shapes++;
            if (!op.s3Name().equals(expected)) wrong.add(line + "  -> " + op.s3Name());
        }
        assertEquals(List.of(), wrong);
        assertEquals(EnumSet.allOf(S3Operation.class), seen, "every operation is reached by some shape");
        assertTrue(shapes >= 100, shapes + " shapes");
    }

    @Test
    void withoutTheAdminApiMinioIsABucketLikeAnyOther() {
        assertEquals(S3Operation.GET_OBJECT, S3Operation.of(request("GET", "/minio/admin/v3/info"), false));
        assertEquals(S3Operation.GET_OBJECT_ACL, S3Operation.of(request("GET", "/minio/admin/v3/info?acl"), false));
    }

    /** The metrics keep the labels they had: every subresource answer is one label, refusals of a method another. */
    @Test
    void metricsLabels() {
        assertEquals("PutObject", S3Operation.PUT_OBJECT.label());
        assertEquals("ListObjectsV2", S3Operation.LIST_OBJECTS_V2.label());
        assertEquals("AdminInfo", S3Operation.ADMIN_INFO.label());
        assertEquals("Unknown", S3Operation.NOT_ALLOWED.label());
        for (S3Operation op :
                List.of(S3Operation.GET_BUCKET_ACL, S3Operation.GET_BUCKET_CORS, S3Operation.NOT_IMPLEMENTED)) {
            assertEquals("Subresource", op.label(), op.name());
        }
    }

    @Test
    void subresourcesAreListedInTheOrderSent() {
        assertEquals(
                List.of("tagging", "acl"),
                S3Operation.subresources(request("GET", "/b?prefix=a&tagging&acl&max-keys=1")));
        assertEquals(List.of(), S3Operation.subresources(request("GET", "/b?list-type=2&X-Amz-Date=1")));
    }

    private static S3Request request(String method, String target, String... headers) {
        return BareRequest.of(method, target, DOMAIN, headers);
    }
}
