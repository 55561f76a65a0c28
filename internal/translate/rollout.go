package translate

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// RollingUpdate is a Deployment's rolling update in absolute numbers of tasks.
type RollingUpdate struct {
	MaxSurge       int32
	MaxUnavailable int32
}

// ErrDeploymentBlocked is ECS's message for a deployment configuration that lets no task be
// started or stopped. It is ECS's text word for word, final period included, because users
// search for it.
var ErrDeploymentBlocked = errors.New( //nolint:staticcheck // ST1005: ECS's exact message ends with a period
	"unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.")

// RollingUpdateFor turns ECS's deployment percentages into a rolling update, rounding as ECS
// does: at most floor(desired × maximumPercent / 100) tasks run, at least
// ceil(desired × minimumHealthyPercent / 100) stay healthy. So maxSurge is the first minus
// desired and maxUnavailable desired minus the second, never below 0. When both are 0 the
// deployment cannot move: ErrDeploymentBlocked, with the (invalid) zero rolling update. With
// no tasks desired nothing needs replacing; Kubernetes still needs one of the two above 0, so
// that is maxUnavailable 1, which never starts an extra task.
func RollingUpdateFor(desired, maximumPercent, minimumHealthyPercent int32) (RollingUpdate, error) {
	if desired <= 0 {
		return RollingUpdate{MaxSurge: 0, MaxUnavailable: 1}, nil
	}
	d := int64(desired)
	most := d * int64(maximumPercent) / 100
	least := ceilPercent(d * int64(minimumHealthyPercent))
	ru := RollingUpdate{
		MaxSurge:       int32(max(most-d, 0)),
		MaxUnavailable: int32(max(d-least, 0)),
	}
	if ru.MaxSurge == 0 && ru.MaxUnavailable == 0 {
		return ru, ErrDeploymentBlocked
	}
	return ru, nil
}

// MinAvailable is the fewest healthy tasks a Service keeps, ceil(desired ×
// minimumHealthyPercent / 100): the PodDisruptionBudget's minAvailable.
func MinAvailable(desired, minimumHealthyPercent int32) int32 {
	if desired <= 0 || minimumHealthyPercent <= 0 {
		return 0
	}
	return int32(ceilPercent(int64(desired) * int64(minimumHealthyPercent)))
}

// CircuitBreakerThreshold is how many failed tasks trip ECS's deployment circuit breaker. By
// default (BOUNDED_PERCENT 50) half the desired count, rounded up, at least 3 and at most 200;
// COUNT takes the value as it is, UNBOUNDED_PERCENT the percentage without the bounds (at
// least 1, so a Service scaled to 0 still has a threshold).
func CircuitBreakerThreshold(desired int32, cfg *ecsv1.ThresholdConfiguration) int32 {
	typ, value := ecsv1.ThresholdBoundedPercent, int64(50)
	if cfg != nil {
		typ, value = cfg.Type, int64(cfg.Value)
	}
	switch typ {
	case ecsv1.ThresholdCount:
		return int32(max(value, 1))
	case ecsv1.ThresholdUnboundedPercent:
		return int32(min(max(ceilPercent(int64(desired)*value), 1), math.MaxInt32))
	default:
		return int32(min(max(ceilPercent(int64(desired)*value), 3), 200))
	}
}

// ceilPercent is a percentage product (count × percent) divided by 100, rounded up, as ECS rounds
// minimumHealthyPercent and failure thresholds; for product >= 0.
func ceilPercent(product int64) int64 { return (product + 99) / 100 }

// DaemonUpdate is a DAEMON service's DaemonSet rolling update. ECS starts no extra daemon task
// on a node (maximumPercent is not used for daemons), so there is never a surge; it keeps
// ceil(nodes × minimumHealthyPercent / 100) daemon tasks running, so maxUnavailable is the rest,
// in tasks. Kubernetes would round a percentage the other way (its maxUnavailable rounds up).
type DaemonUpdate struct {
	MaxUnavailable intstr.IntOrString
	// Blocked is ECS's ErrDeploymentBlocked: no daemon task may stop, so none can be replaced.
	Blocked bool
}

// DaemonUpdateFor is the update of a DaemonSet that runs on nodes nodes; nodesKnown is false
// before the DaemonSet's controller has counted them, when the percentage stands in (nothing
// is replaced before the first count anyway).
func DaemonUpdateFor(nodes int32, nodesKnown bool, minimumHealthyPercent int32) DaemonUpdate {
	minimumHealthyPercent = min(max(minimumHealthyPercent, 0), 100)
	if !nodesKnown {
		if minimumHealthyPercent >= 100 {
			return DaemonUpdate{MaxUnavailable: intstr.FromInt32(1), Blocked: true}
		}
		return DaemonUpdate{MaxUnavailable: intstr.FromString(strconv.Itoa(int(100-minimumHealthyPercent)) + "%")}
	}
	unavailable := nodes - MinAvailable(nodes, minimumHealthyPercent)
	if unavailable > 0 {
		return DaemonUpdate{MaxUnavailable: intstr.FromInt32(unavailable)}
	}
	// A DaemonSet needs maxUnavailable above 0 without a surge: the controller holds the
	// running revision while blocked, so this only keeps the object valid.
	return DaemonUpdate{MaxUnavailable: intstr.FromInt32(1), Blocked: nodes > 0}
}

// SplitRollingUpdate spreads one Service's rollout bounds over its Deployments, one per
// capacity provider share of shares tasks: ECS bounds the whole Service, so the shares' surges
// add up to at most the Service's and their unavailable tasks likewise. A Service split 2 + 1
// at 150/50 may thus replace a task (3 × 150% = 4, ceil(1.5) = 2 healthy) although neither share
// alone could. ErrDeploymentBlocked when the whole Service cannot move. When the Service's
// budget is smaller than the number of shares with tasks, the shares left without one get a
// surge of 1 — the Service may briefly run a task or two above maximumPercent, never below
// minimumHealthyPercent — because a Deployment cannot have both bounds at 0.
func SplitRollingUpdate(shares []int32, maximumPercent, minimumHealthyPercent int32) ([]RollingUpdate, error) {
	var total int32
	for _, n := range shares {
		total += max(n, 0)
	}
	whole, err := RollingUpdateFor(total, maximumPercent, minimumHealthyPercent)
	if err != nil {
		return nil, err
	}
	out := make([]RollingUpdate, len(shares))
	// Larger shares first, so that the budget goes where most tasks are to be replaced.
	order := make([]int, 0, len(shares))
	for i, n := range shares {
		if n > 0 {
			order = append(order, i)
		} else {
			out[i] = RollingUpdate{MaxUnavailable: 1} // nothing to replace; valid only
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(shares[b] - shares[a]) })
	if total <= 0 {
		return out, nil
	}
	surge, unavailable := whole.MaxSurge, whole.MaxUnavailable
	// Every share first gets one of the two, then the rest goes round by round.
	for _, i := range order {
		switch {
		case unavailable > 0:
			out[i].MaxUnavailable, unavailable = 1, unavailable-1
		case surge > 0:
			out[i].MaxSurge, surge = 1, surge-1
		default:
			out[i].MaxSurge = 1
		}
	}
	for unavailable > 0 || surge > 0 {
		gave := false
		for _, i := range order {
			if unavailable > 0 && out[i].MaxUnavailable < shares[i] {
				out[i].MaxUnavailable, unavailable, gave = out[i].MaxUnavailable+1, unavailable-1, true
			}
			if surge > 0 {
				out[i].MaxSurge, surge, gave = out[i].MaxSurge+1, surge-1, true
			}
		}
		if !gave {
			break // every share may already lose all its tasks
		}
	}
	return out, nil
}

// UncheckedTaskWait is how long ECS waits after a task without an essential container health
// check reaches RUNNING before counting it toward minimumHealthyPercent.
const UncheckedTaskWait = 40 * time.Second

// MinReadySeconds is a task's wait before it counts as available in a rollout: none when an
// essential container has a health check (the task counts once healthy, as the readiness probe
// says), else ECS's 40 seconds (unchecked, which the operator may be told to shorten).
func MinReadySeconds(spec *ecsv1.TaskDefinitionSpec, unchecked time.Duration) int32 {
	for i := range spec.ContainerDefinitions {
		if c := &spec.ContainerDefinitions[i]; essential(c) && c.HealthCheck != nil {
			return 0
		}
	}
	return int32(unchecked / time.Second)
}
