// Command milvuslike drives a Basalt endpoint with minio-go v7 the way Milvus 2.6 and its
// Woodpecker WAL do: plain HTTP (streaming aws-chunked signatures), an empty region (so the
// client asks GetBucketLocation), single PUTs below 16 MiB, 16 MiB multipart parts above,
// conditional create with If-None-Match: *, fence metadata, If-Match reads, ranged reads,
// V2 listings with and without a delimiter, single and batch deletes.
//
// usage: milvuslike -endpoint 127.0.0.1:9000 -bucket milvus-bucket
// Credentials come from MINIO_ACCESS_KEY and MINIO_SECRET_KEY. Every check runs; each prints
// PASS or FAIL; the program exits 1 if any failed.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const MiB = 1 << 20

type ctxKey string

const ifNoneMatchKey ctxKey = "if-none-match"

// transport records how PUTs were signed and adds If-None-Match: * where the request's
// context asks for it: minio-go 7.0.46 (Debian's) has no PutObjectOptions field for it,
// the minio-go that Woodpecker uses sets it as a plain request header.
type transport struct {
	base http.RoundTripper
	mu   sync.Mutex
	puts []string // "key x-amz-content-sha256 content-encoding"
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if v, ok := r.Context().Value(ifNoneMatchKey).(string); ok && r.Method == http.MethodPut {
		r = r.Clone(r.Context())
		r.Header.Set("If-None-Match", v)
	}
	if r.Method == http.MethodPut {
		t.mu.Lock()
		t.puts = append(t.puts, r.URL.Path+" "+r.Header.Get("X-Amz-Content-Sha256")+" "+r.Header.Get("Content-Encoding"))
		t.mu.Unlock()
	}
	return t.base.RoundTrip(r)
}

func (t *transport) signingOf(pathSuffix string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, p := range t.puts {
		if strings.HasPrefix(p, pathSuffix+" ") || strings.Contains(p, pathSuffix+" ") {
			out = append(out, p)
		}
	}
	return out
}

var failures []string

func check(name string, fn func() error) {
	if err := fn(); err != nil {
		failures = append(failures, name)
		fmt.Printf("FAIL %s: %v\n", name, err)
		return
	}
	fmt.Printf("PASS %s\n", name)
}

func randomBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func multipartETag(b []byte, part int) string {
	var all []byte
	n := 0
	for off := 0; off < len(b); off += part {
		end := off + part
		if end > len(b) {
			end = len(b)
		}
		s := md5.Sum(b[off:end])
		all = append(all, s[:]...)
		n++
	}
	s := md5.Sum(all)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), n)
}

func describe(err error) string {
	e := minio.ToErrorResponse(err)
	return fmt.Sprintf("code=%q status=%d message=%q (%v)", e.Code, e.StatusCode, e.Message, err)
}

// wantError checks that err is an S3 error with the given HTTP status and, if code is not empty, code.
func wantError(what string, err error, status int, code string) error {
	if err == nil {
		return fmt.Errorf("%s: succeeded, want HTTP %d %s", what, status, code)
	}
	e := minio.ToErrorResponse(err)
	if e.StatusCode != status || (code != "" && e.Code != code) {
		return fmt.Errorf("%s: got %s, want HTTP %d %s", what, describe(err), status, code)
	}
	return nil
}

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:9000", "host:port of the S3 endpoint")
	bucket := flag.String("bucket", "milvus-bucket", "bucket to create and use")
	secure := flag.Bool("secure", false, "HTTPS, as Milvus's useSSL: true (roots from the system or SSL_CERT_FILE)")
	flag.Parse()
	minio.MaxRetry = 2

	tr := &transport{base: http.DefaultTransport.(*http.Transport).Clone()}
	client, err := minio.New(*endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(os.Getenv("MINIO_ACCESS_KEY"), os.Getenv("MINIO_SECRET_KEY"), ""),
		Secure:    *secure, // Milvus's useSSL (default false)
		Region:    "",      // Milvus's default minio.region: empty
		Transport: tr,
	})
	if err != nil {
		fmt.Println("FAIL minio.New:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b := *bucket

	check("BucketExists on a missing bucket", func() error {
		ok, err := client.BucketExists(ctx, b)
		if err != nil {
			return fmt.Errorf("BucketExists: %s", describe(err))
		}
		if ok {
			return errors.New("BucketExists = true before MakeBucket")
		}
		return nil
	})
	check("MakeBucket", func() error {
		if err := client.MakeBucket(ctx, b, minio.MakeBucketOptions{}); err != nil {
			return fmt.Errorf("MakeBucket: %s", describe(err))
		}
		ok, err := client.BucketExists(ctx, b)
		if err != nil || !ok {
			return fmt.Errorf("BucketExists after MakeBucket = %v, %v", ok, err)
		}
		return nil
	})
	check("GetBucketLocation", func() error {
		loc, err := client.GetBucketLocation(ctx, b)
		if err != nil {
			return fmt.Errorf("GetBucketLocation: %s", describe(err))
		}
		if loc != "us-east-1" {
			return fmt.Errorf("GetBucketLocation = %q, want us-east-1 (an empty LocationConstraint)", loc)
		}
		return nil
	})

	small := randomBytes(1, 300*1024+7)
	check("PutObject small (streaming signature over HTTP)", func() error {
		info, err := client.PutObject(ctx, b, "files/stats_log/1/2/small", bytes.NewReader(small), int64(len(small)),
			minio.PutObjectOptions{ContentType: "application/octet-stream"})
		if err != nil {
			return fmt.Errorf("PutObject: %s", describe(err))
		}
		if info.ETag != md5hex(small) {
			return fmt.Errorf("ETag %q, want %q", info.ETag, md5hex(small))
		}
		// over HTTP minio-go signs the body chunk by chunk; over HTTPS it leaves the body to TLS
		want := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
		if *secure {
			want = "UNSIGNED-PAYLOAD"
		}
		sig := tr.signingOf("/files/stats_log/1/2/small")
		if len(sig) != 1 || !strings.Contains(sig[0], want) {
			return fmt.Errorf("expected one PUT signed %s, saw %q", want, sig)
		}
		return nil
	})

	check("StatObject / GetObject whole", func() error {
		st, err := client.StatObject(ctx, b, "files/stats_log/1/2/small", minio.StatObjectOptions{})
		if err != nil {
			return fmt.Errorf("StatObject: %s", describe(err))
		}
		if st.Size != int64(len(small)) || st.ETag != md5hex(small) {
			return fmt.Errorf("StatObject size %d ETag %q, want %d %q", st.Size, st.ETag, len(small), md5hex(small))
		}
		got, err := readObject(ctx, client, b, "files/stats_log/1/2/small", minio.GetObjectOptions{})
		if err != nil {
			return fmt.Errorf("GetObject: %s", describe(err))
		}
		if !bytes.Equal(got, small) {
			return fmt.Errorf("GetObject returned %d bytes that differ from the %d put", len(got), len(small))
		}
		return nil
	})

	check("GetObject ranges", func() error {
		type rng struct {
			start, end int64 // minio-go SetRange semantics
			want       []byte
			desc       string
		}
		n := int64(len(small))
		for _, r := range []rng{
			{100, 1099, small[100:1100], "bytes=100-1099"},
			{0, n - 1, small, "bytes=0-(size-1)"},
			{n - 10, 0, small[n-10:], "bytes=(size-10)-"},
			{0, -64, small[n-64:], "bytes=-64"},
		} {
			opts := minio.GetObjectOptions{}
			if err := opts.SetRange(r.start, r.end); err != nil {
				return err
			}
			got, err := readObject(ctx, client, b, "files/stats_log/1/2/small", opts)
			if err != nil {
				return fmt.Errorf("%s: %s", r.desc, describe(err))
			}
			if !bytes.Equal(got, r.want) {
				return fmt.Errorf("%s: %d bytes that differ from the expected %d", r.desc, len(got), len(r.want))
			}
		}
		return nil
	})

	check("GetObject / StatObject with If-Match", func() error {
		ok := minio.GetObjectOptions{}
		_ = ok.SetMatchETag(md5hex(small))
		got, err := readObject(ctx, client, b, "files/stats_log/1/2/small", ok)
		if err != nil {
			return fmt.Errorf("GET If-Match matching ETag: %s", describe(err))
		}
		if !bytes.Equal(got, small) {
			return errors.New("GET If-Match matching ETag: wrong bytes")
		}
		if _, err := client.StatObject(ctx, b, "files/stats_log/1/2/small", minio.StatObjectOptions(ok)); err != nil {
			return fmt.Errorf("HEAD If-Match matching ETag: %s", describe(err))
		}
		bad := minio.GetObjectOptions{}
		_ = bad.SetMatchETag("0123456789abcdef0123456789abcdef")
		_, err = readObject(ctx, client, b, "files/stats_log/1/2/small", bad)
		if e := wantError("GET If-Match wrong ETag", err, 412, "PreconditionFailed"); e != nil {
			return e
		}
		_, err = client.StatObject(ctx, b, "files/stats_log/1/2/small", minio.StatObjectOptions(bad))
		return wantError("HEAD If-Match wrong ETag", err, 412, "")
	})

	check("conditional PUT If-None-Match: * with x-amz-meta-fenced", func() error {
		key := "files/wp/log_1/fence"
		body := []byte("fence")
		cctx := context.WithValue(ctx, ifNoneMatchKey, "*")
		opts := minio.PutObjectOptions{UserMetadata: map[string]string{"fenced": "true"}}
		if _, err := client.PutObject(cctx, b, key, bytes.NewReader(body), int64(len(body)), opts); err != nil {
			return fmt.Errorf("first conditional PUT: %s", describe(err))
		}
		_, err := client.PutObject(cctx, b, key, bytes.NewReader([]byte("other")), 5, opts)
		if e := wantError("second conditional PUT of the same key", err, 412, "PreconditionFailed"); e != nil {
			return e
		}
		st, err := client.StatObject(ctx, b, key, minio.StatObjectOptions{})
		if err != nil {
			return fmt.Errorf("StatObject of the fence: %s", describe(err))
		}
		if st.Size != int64(len(body)) || st.ETag != md5hex(body) {
			return fmt.Errorf("the fence was overwritten: size %d ETag %q", st.Size, st.ETag)
		}
		fenced := ""
		for k, v := range st.UserMetadata {
			if strings.EqualFold(k, "fenced") || strings.EqualFold(k, "x-amz-meta-fenced") {
				fenced = v
			}
		}
		if fenced != "true" {
			return fmt.Errorf("StatObject user metadata %v (headers %v), want fenced=true", st.UserMetadata, st.Metadata)
		}
		return nil
	})

	large := randomBytes(2, 40*MiB)
	check("PutObject 40 MiB multipart (16 MiB parts)", func() error {
		info, err := client.PutObject(ctx, b, "files/insert_log/1/2/3/large", bytes.NewReader(large), int64(len(large)),
			minio.PutObjectOptions{PartSize: 16 * MiB, ContentType: "application/octet-stream"})
		if err != nil {
			return fmt.Errorf("PutObject: %s", describe(err))
		}
		if want := multipartETag(large, 16*MiB); info.ETag != want {
			return fmt.Errorf("ETag %q, want %q", info.ETag, want)
		}
		st, err := client.StatObject(ctx, b, "files/insert_log/1/2/3/large", minio.StatObjectOptions{})
		if err != nil {
			return fmt.Errorf("StatObject: %s", describe(err))
		}
		if st.Size != int64(len(large)) || st.ETag != info.ETag {
			return fmt.Errorf("StatObject size %d ETag %q, want %d %q", st.Size, st.ETag, len(large), info.ETag)
		}
		got, err := readObject(ctx, client, b, "files/insert_log/1/2/3/large", minio.GetObjectOptions{})
		if err != nil {
			return fmt.Errorf("GetObject: %s", describe(err))
		}
		if sha256.Sum256(got) != sha256.Sum256(large) {
			return fmt.Errorf("GetObject: %d bytes whose SHA-256 differs", len(got))
		}
		opts := minio.GetObjectOptions{}
		_ = opts.SetRange(16*MiB-100, 16*MiB+99)
		part, err := readObject(ctx, client, b, "files/insert_log/1/2/3/large", opts)
		if err != nil {
			return fmt.Errorf("ranged GET across parts: %s", describe(err))
		}
		if !bytes.Equal(part, large[16*MiB-100:16*MiB+100]) {
			return errors.New("ranged GET across parts: wrong bytes")
		}
		return nil
	})

	listKeys := []string{"files/index_files/1/a", "files/index_files/1/b", "files/index_files/2/a",
		"files/index_files/top1", "files/index_files/top2"}
	check("ListObjects recursive and delimited", func() error {
		for _, k := range listKeys {
			if _, err := client.PutObject(ctx, b, k, strings.NewReader(k), int64(len(k)), minio.PutObjectOptions{}); err != nil {
				return fmt.Errorf("PutObject %s: %s", k, describe(err))
			}
		}
		rec, err := list(ctx, client, b, minio.ListObjectsOptions{Prefix: "files/index_files/", Recursive: true, MaxKeys: 2})
		if err != nil {
			return fmt.Errorf("recursive ListObjects: %s", describe(err))
		}
		if strings.Join(rec, ",") != strings.Join(listKeys, ",") {
			return fmt.Errorf("recursive ListObjects (pages of 2) = %v, want %v", rec, listKeys)
		}
		del, err := list(ctx, client, b, minio.ListObjectsOptions{Prefix: "files/index_files/", Recursive: false})
		if err != nil {
			return fmt.Errorf("delimited ListObjects: %s", describe(err))
		}
		sort.Strings(del)
		want := []string{"files/index_files/1/", "files/index_files/2/", "files/index_files/top1", "files/index_files/top2"}
		if strings.Join(del, ",") != strings.Join(want, ",") {
			return fmt.Errorf("delimited ListObjects = %v, want %v", del, want)
		}
		v1, err := list(ctx, client, b, minio.ListObjectsOptions{Prefix: "files/index_files/", Recursive: true, UseV1: true, MaxKeys: 2})
		if err != nil {
			return fmt.Errorf("recursive ListObjects V1: %s", describe(err))
		}
		if strings.Join(v1, ",") != strings.Join(listKeys, ",") {
			return fmt.Errorf("recursive ListObjects V1 (pages of 2) = %v, want %v", v1, listKeys)
		}
		return nil
	})

	check("RemoveObject", func() error {
		if err := client.RemoveObject(ctx, b, "files/index_files/top1", minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("RemoveObject: %s", describe(err))
		}
		_, err := client.StatObject(ctx, b, "files/index_files/top1", minio.StatObjectOptions{})
		if e := wantError("StatObject after RemoveObject", err, 404, "NoSuchKey"); e != nil {
			return e
		}
		// S3 answers 204 for a missing key too
		if err := client.RemoveObject(ctx, b, "files/index_files/top1", minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("RemoveObject of a missing key: %s", describe(err))
		}
		return nil
	})

	check("RemoveObjects (batch delete)", func() error {
		ch := make(chan minio.ObjectInfo)
		go func() {
			defer close(ch)
			for _, k := range []string{"files/index_files/1/a", "files/index_files/1/b", "files/index_files/2/a", "files/index_files/top2"} {
				ch <- minio.ObjectInfo{Key: k}
			}
		}()
		var errs []string
		for e := range client.RemoveObjects(ctx, b, ch, minio.RemoveObjectsOptions{}) {
			errs = append(errs, fmt.Sprintf("%s: %s", e.ObjectName, describe(e.Err)))
		}
		if len(errs) > 0 {
			return fmt.Errorf("RemoveObjects errors: %v", errs)
		}
		left, err := list(ctx, client, b, minio.ListObjectsOptions{Prefix: "files/index_files/", Recursive: true})
		if err != nil {
			return fmt.Errorf("ListObjects after RemoveObjects: %s", describe(err))
		}
		if len(left) != 0 {
			return fmt.Errorf("left after RemoveObjects: %v", left)
		}
		return nil
	})

	if len(failures) > 0 {
		fmt.Printf("milvuslike: %d check(s) failed: %s\n", len(failures), strings.Join(failures, "; "))
		os.Exit(1)
	}
	fmt.Println("milvuslike: all checks passed")
}

func readObject(ctx context.Context, c *minio.Client, bucket, key string, opts minio.GetObjectOptions) ([]byte, error) {
	obj, err := c.GetObject(ctx, bucket, key, opts)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return io.ReadAll(obj)
}

func list(ctx context.Context, c *minio.Client, bucket string, opts minio.ListObjectsOptions) ([]string, error) {
	var keys []string
	for o := range c.ListObjects(ctx, bucket, opts) {
		if o.Err != nil {
			return keys, o.Err
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}
