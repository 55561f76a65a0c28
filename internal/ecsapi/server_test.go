package ecsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// protocolServer is a server whose key store holds one key (from a fake clientset) and whose
// Kubernetes is unreachable: enough for what happens before an action runs.
func protocolServer(t *testing.T, rateLimit float64) *Server {
	t.Helper()
	key := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "key", Labels: map[string]string{LabelAccessKey: "true"}},
		Data:       map[string][]byte{"accessKeyId": []byte("AKIDEXAMPLE"), "secretAccessKey": []byte(testSecret), "user": []byte("alice")},
	}
	s := &Server{
		o:    Options{Config: &rest.Config{Host: "https://127.0.0.1:1"}, Scheme: runtime.NewScheme(), Mapper: meta.NewDefaultRESTMapper(nil), RateLimit: rateLimit, Now: time.Now},
		keys: newKeyStore(fake.NewClientset(key), "ops"), clients: map[string]ctrlclient.Client{}, limiters: map[string]*rate.Limiter{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = s.keys.Start(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !s.keys.synced() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

func callServer(t *testing.T, s *Server, action, accessKey string, sign bool) string {
	t.Helper()
	body := `{}`
	req := httptest.NewRequest(http.MethodPost, "https://ecs.local/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+action)
	if sign {
		sum := sha256.Sum256([]byte(body))
		req.ContentLength = int64(len(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: testSecret}, req,
			hex.EncodeToString(sum[:]), "ecs", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var e struct {
		Type string `json:"__type"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if got := rec.Header().Get("X-Amzn-ErrorType"); got != e.Type {
		t.Fatalf("X-Amzn-ErrorType %q and __type %q differ", got, e.Type)
	}
	return e.Type
}

func TestProtocolRefusesWhatECSRefuses(t *testing.T) {
	s := protocolServer(t, 0)
	for _, tt := range []struct {
		name, action, key string
		sign              bool
		want              string
	}{
		{"unsigned", "ListClusters", "", false, "MissingAuthenticationTokenException"},
		{"unknown key", "ListClusters", "AKIDUNKNOWN", true, "UnrecognizedClientException"},
		{"unknown action", "CreateCapacityProvider", "AKIDEXAMPLE", true, "UnknownOperationException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := callServer(t, s, tt.action, tt.key, tt.sign); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEachKeyIsRateLimited(t *testing.T) {
	s := protocolServer(t, 1) // one a second, bursts of two
	var throttled int
	for range 4 {
		if got := callServer(t, s, "ListClusters", "AKIDEXAMPLE", true); got == "ThrottlingException" {
			throttled++
		}
	}
	if throttled != 2 {
		t.Fatalf("%d of 4 calls in a burst throttled, want 2 (rate 1/s, burst 2)", throttled)
	}
}
