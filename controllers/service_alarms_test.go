package controllers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// alertmanagerFake serves the Alertmanager v2 alerts API with the alerts a test sets.
type alertmanagerFake struct {
	mu     sync.Mutex
	alerts []map[string]any
}

var fakeAlertmanager = &alertmanagerFake{}

func (f *alertmanagerFake) fire(labels map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts = append(f.alerts, map[string]any{"labels": labels, "status": map[string]any{"state": "active"},
		"startsAt": "2026-12-06T00:00:00Z", "endsAt": "2026-12-06T01:00:00Z", "fingerprint": fmt.Sprint(len(f.alerts))})
}

func (f *alertmanagerFake) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/alerts" {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(append([]map[string]any{}, f.alerts...))
}

func TestService_AnAlertmanagerAlertFailsTheDeploymentAndRollsItBack(t *testing.T) {
	ns := newNamespace(t)
	td := newTaskDefinition(ns, "web", "nginx:good")
	mustCreate(t, td)
	svc := newService(ns, "web", "web", 1)
	svc.Spec.DeploymentConfiguration = &ecsv1.DeploymentConfiguration{
		Alarms:         &ecsv1.DeploymentAlarms{AlarmNames: []string{"WebErrors"}, Enable: true, Rollback: true},
		MaximumPercent: ptr.To[int32](200), MinimumHealthyPercent: ptr.To[int32](100),
	}
	mustCreate(t, svc)
	d := deploymentOf(t, svc, runsRevision("web:1"))
	runTasks(t, d, "good", 1, true, 0)
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if len(st.Deployments) == 0 || st.Deployments[0].RolloutState != ecsv1.RolloutCompleted {
			return fmt.Errorf("deployments %+v", st.Deployments)
		}
		return nil
	})
	updateImage(t, td, "nginx:new")
	deploymentOf(t, svc, runsRevision("web:2"))

	// Another tenant's alert of the same name is not this Service's alarm; its own is.
	fakeAlertmanager.fire(map[string]string{"alertname": "WebErrors", "namespace": "someone-else"})
	consistently(t, "another namespace's alert fails nothing", time.Second, func() error {
		st := &ecsv1.Service{}
		if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(svc), st); err != nil {
			return err
		}
		if d := st.Status.Deployments; len(d) > 0 && d[0].RolloutState == ecsv1.RolloutFailed {
			return fmt.Errorf("failed by another tenant's alert: %+v", d[0])
		}
		return nil
	})
	fakeAlertmanager.fire(map[string]string{"alertname": "WebErrors", "namespace": ns, "severity": "page"})
	serviceStatus(t, svc, func(st ecsv1.ServiceStatus) error {
		if err := hasEvent(st, "deployment failed: alarm(s) WebErrors in ALARM state."); err != nil {
			return err
		}
		return hasEvent(st, "rolling back to deployment")
	})
	deploymentOf(t, svc, runsRevision("web:1"))
}
