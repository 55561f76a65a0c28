package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// AnnotationHookPrefix starts the Service annotation that answers the lifecycle hooks of one
// stage without a url: hooks.ecs.operator.dev/<STAGE>: "<deployment id>=SUCCEEDED" (or FAILED).
const AnnotationHookPrefix = "hooks.ecs.operator.dev/"

// hookRetry is how soon a hook that answered IN_PROGRESS, or could not be reached, is asked
// again.
const hookRetry = 30 * time.Second

// hookTimeout bounds one call to a hook's url.
const hookTimeout = 10 * time.Second

// hookCalls remembers the answers of url hooks, so that a reconcile does not call a hook again
// before hookRetry, nor ever again once it answered SUCCEEDED or FAILED.
type hookCalls struct {
	mu      sync.Mutex
	answers map[string]hookAnswer
}

type hookAnswer struct {
	status, message string
	at              time.Time
}

// hookInput is what a url hook receives: ECS's Lambda hook input, with the Kubernetes names.
type hookInput struct {
	ExecutionID    string          `json:"executionId"`
	LifecycleStage string          `json:"lifecycleStage"`
	ResourceArn    string          `json:"resourceArn"`
	HookTargetArn  string          `json:"hookTargetArn,omitempty"`
	HookDetails    json.RawMessage `json:"hookDetails,omitempty"`
	Details        hookDetails     `json:"executionDetails"`
}

type hookDetails struct {
	Namespace      string `json:"namespace"`
	Service        string `json:"service"`
	DeploymentID   string `json:"deploymentId"`
	TaskDefinition string `json:"taskDefinition"`
}

// hookOutput is a hook's answer, as ECS's Lambda hooks give it.
type hookOutput struct {
	HookStatus string `json:"hookStatus"`
}

// hookURLProblem checks that every hook url names a Service of the Service's own namespace: the
// operator calls it, and must not be pointed by one tenant at another tenant's or the cluster's
// endpoints.
func hookURLProblem(svc *ecsv1.Service) string {
	dc := svc.Spec.DeploymentConfiguration
	if dc == nil {
		return ""
	}
	for i, h := range dc.LifecycleHooks {
		if h.URL == "" {
			continue
		}
		u, err := url.Parse(h.URL)
		if err != nil {
			return fmt.Sprintf("deploymentConfiguration.lifecycleHooks[%d].url: %v", i, err)
		}
		parts := strings.Split(u.Hostname(), ".")
		if len(parts) < 3 || parts[2] != "svc" || parts[1] != svc.Namespace {
			return fmt.Sprintf("deploymentConfiguration.lifecycleHooks[%d].url: %q must name a Service in namespace %s (http://NAME.%s.svc/...)", i, h.URL, svc.Namespace, svc.Namespace)
		}
	}
	return ""
}

// hookStatus asks the hooks of a stage whether the deployment goes on: SUCCEEDED when every
// hook of the stage succeeded (or there is none), FAILED when one failed, else IN_PROGRESS.
func (r *Reconciler) hookStatus(ctx context.Context, svc *ecsv1.Service, deploymentID, taskDefinition string, stage ecsv1.LifecycleStage) hookResult {
	dc := svc.Spec.DeploymentConfiguration
	if dc == nil {
		return hookResult{Status: hookSucceeded}
	}
	var waiting []string
	for i, h := range dc.LifecycleHooks {
		if !hookRunsAt(h, stage) {
			continue
		}
		var status, message string
		if h.URL != "" {
			status, message = r.callHook(ctx, svc, i, h, deploymentID, taskDefinition, stage)
		} else {
			status, message = annotatedHookStatus(svc, deploymentID, stage)
		}
		switch status {
		case hookSucceeded:
		case hookFailed:
			return hookResult{Status: hookFailed, Message: fmt.Sprintf("lifecycle hook %d failed at %s: %s", i, stage, message)}
		default:
			waiting = append(waiting, message)
		}
	}
	if len(waiting) == 0 {
		return hookResult{Status: hookSucceeded}
	}
	return hookResult{Status: hookInProgress, Message: strings.Join(waiting, "; "), RetryAfter: hookRetry}
}

func hookRunsAt(h ecsv1.DeploymentLifecycleHook, stage ecsv1.LifecycleStage) bool {
	for _, s := range h.LifecycleStages {
		if string(s) == string(stage) {
			return true
		}
	}
	return false
}

// annotatedHookStatus reads the approval annotation of a stage for this deployment.
func annotatedHookStatus(svc *ecsv1.Service, deploymentID string, stage ecsv1.LifecycleStage) (string, string) {
	key := AnnotationHookPrefix + string(stage)
	waiting := fmt.Sprintf("waiting for annotation %s=%s=SUCCEEDED", key, deploymentID)
	value, ok := svc.Annotations[key]
	if !ok {
		return hookInProgress, waiting
	}
	id, answer, found := strings.Cut(strings.TrimSpace(value), "=")
	if !found || id != deploymentID {
		return hookInProgress, waiting
	}
	switch answer {
	case hookSucceeded:
		return hookSucceeded, ""
	case hookFailed:
		return hookFailed, "annotation " + key + " says FAILED"
	}
	return hookInProgress, waiting
}

// callHook POSTs the hook input to the hook's url, at most once per hookRetry, and remembers a
// final answer.
func (r *Reconciler) callHook(ctx context.Context, svc *ecsv1.Service, index int, h ecsv1.DeploymentLifecycleHook,
	deploymentID, taskDefinition string, stage ecsv1.LifecycleStage) (string, string) {
	key := fmt.Sprintf("%s/%s/%s/%d/%s", svc.UID, deploymentID, stage, index, h.URL)
	now := r.Clock.Now()
	r.hooks.mu.Lock()
	prev, asked := r.hooks.answers[key]
	r.hooks.mu.Unlock()
	if asked && (prev.status != hookInProgress || now.Sub(prev.at) < hookRetry) {
		return prev.status, prev.message
	}
	in := hookInput{
		ExecutionID: deploymentID + "/" + string(stage), LifecycleStage: string(stage),
		ResourceArn: fmt.Sprintf("service/%s/%s", svc.Namespace, svc.Name), HookTargetArn: h.HookTargetArn,
		Details: hookDetails{Namespace: svc.Namespace, Service: svc.Name, DeploymentID: deploymentID, TaskDefinition: taskDefinition},
	}
	if h.HookDetails != nil {
		in.HookDetails = h.HookDetails.Raw
	}
	status, message := r.postHook(ctx, h.URL, in)
	r.hooks.mu.Lock()
	if r.hooks.answers == nil {
		r.hooks.answers = map[string]hookAnswer{}
	}
	r.hooks.answers[key] = hookAnswer{status: status, message: message, at: now}
	r.hooks.mu.Unlock()
	return status, message
}

func (r *Reconciler) postHook(ctx context.Context, target string, in hookInput) (string, string) {
	body, err := json.Marshal(in)
	if err != nil {
		return hookInProgress, fmt.Sprintf("encoding the input of hook %s: %v", target, err)
	}
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return hookFailed, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	client := r.HookClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return hookInProgress, fmt.Sprintf("hook %s not reached (asked again in %s): %v", target, hookRetry, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode/100 != 2 {
		return hookInProgress, fmt.Sprintf("hook %s answered %s (asked again in %s)", target, resp.Status, hookRetry)
	}
	var out hookOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		return hookInProgress, fmt.Sprintf("hook %s answered no hookStatus (asked again in %s): %v", target, hookRetry, err)
	}
	switch out.HookStatus {
	case hookSucceeded:
		return hookSucceeded, ""
	case hookFailed:
		return hookFailed, "hook " + target + " answered FAILED"
	}
	return hookInProgress, fmt.Sprintf("hook %s answered %q", target, out.HookStatus)
}

// forgetHooks drops the remembered hook answers of a Service that is gone.
func (r *Reconciler) forgetHooks(uid string) {
	r.hooks.mu.Lock()
	defer r.hooks.mu.Unlock()
	for k := range r.hooks.answers {
		if strings.HasPrefix(k, uid+"/") {
			delete(r.hooks.answers, k)
		}
	}
}

// bakeTimeUnit is how long a minute of bakeTimeInMinutes and the step and canary bake times
// lasts: a minute unless the operator was told otherwise (demos and tests).
func (r *Reconciler) bakeTimeUnit() time.Duration {
	if r.BakeTimeUnit > 0 {
		return r.BakeTimeUnit
	}
	return time.Minute
}
