package ecsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

// signed is a request as the AWS SDK signs it.
func signed(t *testing.T, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://ecs.example.com:8443/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ecs", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestVerifySignatureAgainstTheSDKsSigner(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	const secret = testSecret
	for _, tt := range []struct {
		name     string
		req      *http.Request
		body     string
		secret   string
		wantType string
	}{
		{name: "signed by the SDK", req: signed(t, `{"maxResults":10}`, now), body: `{"maxResults":10}`, secret: secret},
		{name: "another body", req: signed(t, `{"maxResults":10}`, now), body: `{"maxResults":11}`, secret: secret, wantType: "InvalidSignatureException"},
		{name: "another secret", req: signed(t, `{}`, now), body: `{}`, secret: "other", wantType: "InvalidSignatureException"},
		{name: "16 minutes old", req: signed(t, `{}`, now.Add(-16*time.Minute)), body: `{}`, secret: secret, wantType: "InvalidSignatureException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, perr := parseAuthorization(tt.req.Header.Get("Authorization"))
			if perr != nil {
				t.Fatal(perr)
			}
			if s.accessKey != "AKIDEXAMPLE" || s.region != "us-east-1" || s.service != "ecs" {
				t.Fatalf("parsed %+v", s)
			}
			tt.req.Host = tt.req.URL.Host
			err := verifySignature(tt.req, bytes.Clone([]byte(tt.body)), s, tt.secret, now)
			switch {
			case tt.wantType == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantType != "" && (err == nil || err.Type != tt.wantType):
				t.Fatalf("got %v, want %s", err, tt.wantType)
			}
		})
	}
	if _, err := parseAuthorization("Basic abc"); err == nil || err.Type != "MissingAuthenticationTokenException" {
		t.Fatalf("an unsigned request: %v", err)
	}
}
