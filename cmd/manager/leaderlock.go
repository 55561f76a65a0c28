package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ecs-operator/ecs-operator/internal/leader"
)

const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// newLeaderLock makes the Lease the replicas elect their leader with, in $POD_NAMESPACE (else
// the in-cluster namespace), riding out API server outages of up to --leader-elect-outage-tolerance.
// The holder's identity starts with $POD_NAME, so that `kubectl get lease` names the leading
// Pod wherever the process runs. The lock's client is not gated: it is what confirms that the
// manager's requests may resume after an outage.
func newLeaderLock(cfg *rest.Config, opts *options) (*leader.Lock, error) {
	namespace := os.Getenv("POD_NAMESPACE")
	if namespace == "" {
		b, err := os.ReadFile(inClusterNamespaceFile)
		if err != nil {
			return nil, fmt.Errorf("--leader-elect needs $POD_NAMESPACE out of a cluster: %w", err)
		}
		namespace = strings.TrimSpace(string(b))
	}
	identity := os.Getenv("POD_NAME")
	if identity == "" {
		var err error
		if identity, err = os.Hostname(); err != nil {
			return nil, err
		}
	}
	identity += "_" + string(uuid.NewUUID())

	lockCfg := rest.AddUserAgent(rest.CopyConfig(cfg), "leader-election")
	// A single hung request must not cost the leadership (as controller-runtime's lock).
	lockCfg.Timeout = max(opts.renewDeadline/2, time.Second)
	coordination, err := coordinationv1client.NewForConfig(lockCfg)
	if err != nil {
		return nil, err
	}
	lease := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: leaderElectionID},
		Client:     coordination,
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}
	log := ctrl.Log.WithName("leader-election")
	log.Info("joining the election", "lease", namespace+"/"+leaderElectionID, "identity", identity)
	return leader.New(lease, opts.outageTolerance, log), nil
}
