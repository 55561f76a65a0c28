package ecsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	// maxClockSkew is how far a request's date may be from now, as AWS allows.
	maxClockSkew = 15 * time.Minute
)

// signedRequest is what a request's Authorization header says.
type signedRequest struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/ecs/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=…".
func parseAuthorization(h string) (signedRequest, *apiError) {
	var s signedRequest
	rest, ok := strings.CutPrefix(h, sigV4Algorithm+" ")
	if !ok {
		return s, newError("MissingAuthenticationTokenException", http.StatusForbidden, "Missing Authentication Token")
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return s, newError("IncompleteSignatureException", http.StatusBadRequest, "Credential should be scoped to a valid region. ")
			}
			s.accessKey, s.date, s.region, s.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	if s.accessKey == "" || len(s.signedHeaders) == 0 || s.signature == "" {
		return s, newError("IncompleteSignatureException", http.StatusBadRequest,
			"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.")
	}
	return s, nil
}

// verifySignature checks a request's SigV4 signature with the access key's secret: the
// canonical request over the headers it signed and the body, the scope's date, region and
// service, and its date within 15 minutes of now.
func verifySignature(r *http.Request, body []byte, s signedRequest, secret string, now time.Time) *apiError {
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return newError("IncompleteSignatureException", http.StatusBadRequest, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return newError("InvalidSignatureException", http.StatusBadRequest,
			"Signature expired: %s is now earlier than %s (%s - 15 min.)", amzDate, now.Add(-maxClockSkew).UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat))
	}
	if s.date != amzDate[:8] || s.service != "ecs" {
		return newError("InvalidSignatureException", http.StatusBadRequest, "Credential should be scoped to a valid region and the ecs service.")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" || payload == "UNSIGNED-PAYLOAD" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	canonical := strings.Join([]string{
		r.Method, canonicalPath(r.URL), canonicalQuery(r.URL), canonicalHeaders(r, s.signedHeaders),
		strings.Join(s.signedHeaders, ";"), payload,
	}, "\n")
	scope := strings.Join([]string{s.date, s.region, s.service, "aws4_request"}, "/")
	sum := sha256.Sum256([]byte(canonical))
	toSign := strings.Join([]string{sigV4Algorithm, amzDate, scope, hex.EncodeToString(sum[:])}, "\n")
	key := hmacSHA256([]byte("AWS4"+secret), s.date)
	for _, part := range []string{s.region, s.service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(s.signature)) {
		return newError("InvalidSignatureException", http.StatusBadRequest,
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func canonicalPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

func canonicalQuery(u *url.URL) string {
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, n := range names {
		var v string
		switch {
		case n == "host":
			v = r.Host
		case n == "content-length" && r.Header.Get("Content-Length") == "":
			v = strconv.FormatInt(r.ContentLength, 10) // a client request keeps it out of Header
		default:
			v = strings.Join(r.Header.Values(n), ",")
		}
		b.WriteString(n + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	return b.String()
}
