package service

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	testingclock "k8s.io/utils/clock/testing"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func hookedService(url string, stages ...ecsv1.HookStage) *ecsv1.Service {
	svc := &ecsv1.Service{}
	svc.Namespace, svc.Name, svc.UID = "tenant-a", "web", "uid-1"
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{Strategy: ecsv1.StrategyBlueGreen,
		LifecycleHooks: []ecsv1.DeploymentLifecycleHook{{URL: url, LifecycleStages: stages,
			HookDetails: &runtime.RawExtension{Raw: []byte(`{"suite":"smoke"}`)}}}}
	return svc
}

func TestHookStatus_AURLHookIsAskedAgainWhileInProgressAndItsFinalAnswerKept(t *testing.T) {
	var mu sync.Mutex
	var calls []hookInput
	answer := hookInProgress
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var in hookInput
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			t.Errorf("decoding the hook input: %v", err)
		}
		mu.Lock()
		calls = append(calls, in)
		status := answer
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(hookOutput{HookStatus: status})
	}))
	defer server.Close()
	// The cluster's DNS is played by a dialer that sends every Service name to the test server.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, server.Listener.Addr().String())
	}
	clk := testingclock.NewFakePassiveClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	r := &Reconciler{Clock: clk, HookClient: &http.Client{Transport: &http.Transport{DialContext: dial}}}
	svc := hookedService("http://smoke.tenant-a.svc:8080/hooks", ecsv1.HookStage(ecsv1.StagePostScaleUp))
	ask := func() hookResult {
		return r.hookStatus(t.Context(), svc, "ecs-svc/1", "web:2", ecsv1.StagePostScaleUp)
	}

	if got := ask(); got.Status != hookInProgress || got.RetryAfter != hookRetry {
		t.Fatalf("first answer %+v, want IN_PROGRESS asked again in %s", got, hookRetry)
	}
	if got := r.hookStatus(t.Context(), svc, "ecs-svc/1", "web:2", ecsv1.StageTestTrafficShift); got.Status != hookSucceeded {
		t.Fatalf("a stage without hooks answered %+v", got)
	}
	mu.Lock()
	answer = hookSucceeded
	mu.Unlock()
	if got := ask(); got.Status != hookInProgress {
		t.Fatalf("asked again before %s: %+v", hookRetry, got)
	}
	clk.SetTime(clk.Now().Add(hookRetry))
	if got := ask(); got.Status != hookSucceeded {
		t.Fatalf("after %s: %+v, want SUCCEEDED", hookRetry, got)
	}
	mu.Lock()
	answer = hookFailed
	mu.Unlock()
	clk.SetTime(clk.Now().Add(time.Hour))
	if got := ask(); got.Status != hookSucceeded {
		t.Fatalf("a final answer was asked again: %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	in := calls[0]
	if in.LifecycleStage != "POST_SCALE_UP" || in.Details.DeploymentID != "ecs-svc/1" || in.Details.Namespace != "tenant-a" ||
		in.Details.TaskDefinition != "web:2" || string(in.HookDetails) != `{"suite":"smoke"}` {
		t.Fatalf("hook input %+v", in)
	}
}

func TestHookStatus_AFailedURLHookFailsTheStage(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"hookStatus":"FAILED"}`))
	}))
	defer server.Close()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, server.Listener.Addr().String())
	}
	r := &Reconciler{Clock: testingclock.NewFakePassiveClock(time.Now()), HookClient: &http.Client{Transport: &http.Transport{DialContext: dial}}}
	svc := hookedService("http://smoke.tenant-a.svc/hooks", ecsv1.HookStage(ecsv1.StageProductionTrafficShift))
	got := r.hookStatus(t.Context(), svc, "ecs-svc/2", "web:3", ecsv1.StageProductionTrafficShift)
	if got.Status != hookFailed || !strings.Contains(got.Message, "lifecycle hook 0 failed at PRODUCTION_TRAFFIC_SHIFT") {
		t.Fatalf("got %+v", got)
	}
}

func TestAnnotatedHookStatus_OnlyThisDeploymentsAnswerCounts(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"no annotation waits", "", hookInProgress},
		{"approved", "ecs-svc/1=SUCCEEDED", hookSucceeded},
		{"rejected", "ecs-svc/1=FAILED", hookFailed},
		{"an earlier deployment's approval does not count", "ecs-svc/0=SUCCEEDED", hookInProgress},
		{"an unknown answer waits", "ecs-svc/1=MAYBE", hookInProgress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &ecsv1.Service{}
			if tc.value != "" {
				svc.Annotations = map[string]string{AnnotationHookPrefix + "POST_SCALE_UP": tc.value}
			}
			if got, _ := annotatedHookStatus(svc, "ecs-svc/1", ecsv1.StagePostScaleUp); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHookURLProblem_AHookMayOnlyCallItsOwnNamespace(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"http://smoke.tenant-a.svc:8080/hooks", ""},
		{"https://smoke.tenant-a.svc.cluster.local/hooks", ""},
		{"http://smoke.tenant-b.svc/hooks", "must name a Service in namespace tenant-a"},
		{"http://kubernetes.default.svc/api", "must name a Service in namespace tenant-a"},
	} {
		got := hookURLProblem(hookedService(tc.url, ecsv1.HookStage(ecsv1.StagePreScaleUp)))
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.url, got, tc.want)
		}
	}
}
