package ecsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

// targetPrefix is the X-Amz-Target of every ECS action.
const targetPrefix = "AmazonEC2ContainerServiceV20141113."

// maxBody bounds a request: ECS's largest input, a task definition, is far smaller.
const maxBody = 1 << 20

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ecs_operator_ecs_api_requests_total",
		Help: "ECS API requests by action and result (OK or the ECS error type).",
	}, []string{"action", "result"})
	latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ecs_operator_ecs_api_request_duration_seconds",
		Help:    "How long ECS API requests take, by action.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"action"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(requests, latency)
}

// Options say how the API acts.
type Options struct {
	// Config reaches the API server as the operator; each request acts as its key's identity
	// through it (impersonation).
	Config *rest.Config
	Scheme *runtime.Scheme
	Mapper meta.RESTMapper
	// Operator reads Clusters as the operator, to find a cluster's namespace: a tenant may not
	// read Clusters, and needs no more than the namespace's own objects.
	Operator client.Reader
	// KeysNamespace holds the access key Secrets.
	KeysNamespace string
	// ARNs spells the ARNs (region and account).
	ARNs ecsjson.ARNs
	// RateLimit is each access key's requests per second (burst twice that); 0 is unlimited.
	RateLimit float64
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Server serves the ECS API.
type Server struct {
	o    Options
	keys *keyStore

	mu       sync.Mutex
	clients  map[string]client.Client
	limiters map[string]*rate.Limiter
}

// New makes the server; Runnables must run in the manager before it answers.
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	clientset, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return nil, fmt.Errorf("the ECS API's clientset: %w", err)
	}
	return &Server{o: o, keys: newKeyStore(clientset, o.KeysNamespace), clients: map[string]client.Client{}, limiters: map[string]*rate.Limiter{}}, nil
}

// KeyStore runs the access keys' informer (a manager Runnable, on every replica).
func (s *Server) KeyStore() interface {
	Start(context.Context) error
	NeedLeaderElection() bool
} {
	return s.keys
}

// ServeHTTP answers one ECS API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	out, err := s.serve(r, action)
	result := "OK"
	if err != nil {
		result = err.Type
		writeError(w, err)
	} else {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(ecsjson.Render(out, true))
	}
	if _, known := actions[action]; !known {
		action = "unknown"
	}
	requests.WithLabelValues(action, result).Inc()
	latency.WithLabelValues(action).Observe(time.Since(start).Seconds())
}

func (s *Server) serve(r *http.Request, action string) (any, *apiError) {
	if r.Method != http.MethodPost {
		return nil, newError("UnknownOperationException", http.StatusMethodNotAllowed, "ECS API calls are POST requests")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, newError("SerializationException", http.StatusRequestEntityTooLarge, "the request body is unreadable or larger than %d bytes", maxBody)
	}
	signed, aerr := parseAuthorization(r.Header.Get("Authorization"))
	if aerr != nil {
		return nil, aerr
	}
	if !s.keys.synced() {
		return nil, newError("ServerException", http.StatusServiceUnavailable, "the access keys are not loaded yet")
	}
	id, err := s.keys.lookup(signed.accessKey)
	if err != nil {
		return nil, newError("UnrecognizedClientException", http.StatusBadRequest, "The security token included in the request is invalid.")
	}
	if aerr := verifySignature(r, body, signed, id.secret, s.o.Now()); aerr != nil {
		return nil, aerr
	}
	if !s.limiter(id.accessKey).Allow() {
		return nil, newError("ThrottlingException", http.StatusBadRequest, "Rate exceeded")
	}
	handler, ok := actions[action]
	if !ok {
		return nil, newError("UnknownOperationException", http.StatusBadRequest, "The action %q is not served by ecs-operator (docs/ecs-api.md lists those that are)", action)
	}
	in := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		v, err := ecsjson.Decode(body)
		if err != nil {
			return nil, newError("SerializationException", http.StatusBadRequest, "%v", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, newError("SerializationException", http.StatusBadRequest, "the request body is not a JSON object")
		}
		in = m
	}
	c, err := s.clientFor(id)
	if err != nil {
		return nil, newError("ServerException", http.StatusInternalServerError, "%v", err)
	}
	ctx := ctrl.LoggerInto(r.Context(), ctrl.Log.WithName("ecs-api").WithValues("action", action, "user", id.user))
	out, err := handler(ctx, &call{s: s, id: id, c: c, in: in})
	if err != nil {
		return nil, fromKubernetes(err)
	}
	return out, nil
}

// clientFor is a client acting as the identity, made once per identity.
func (s *Server) clientFor(id *identity) (client.Client, error) {
	key := id.user + "\x00" + strings.Join(id.groups, ",")
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	cfg := rest.CopyConfig(s.o.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: id.user, Groups: id.groups}
	c, err := client.New(cfg, client.Options{Scheme: s.o.Scheme, Mapper: s.o.Mapper})
	if err != nil {
		return nil, err
	}
	s.clients[key] = c
	return c, nil
}

func (s *Server) limiter(key string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limiters[key]
	if !ok {
		limit := rate.Limit(s.o.RateLimit)
		if s.o.RateLimit <= 0 {
			limit = rate.Inf
		}
		l = rate.NewLimiter(limit, max(1, int(2*s.o.RateLimit)))
		s.limiters[key] = l
	}
	return l
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Type, "message": e.Message})
}
