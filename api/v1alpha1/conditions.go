package v1alpha1

// Condition types shared by every kind, following the kstatus convention so that
// `kubectl wait --for=condition=Ready` and generic tooling understand them.
const (
	// ConditionReady is True when the object has reached the state its spec asks for
	// (for a Service: ECS's "steady state").
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is still moving the object towards its spec.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the operator cannot make progress without a change from the
	// user, such as a reference to a task definition revision that does not exist.
	ConditionStalled = "Stalled"
)

// Finalizer is the finalizer ecs-operator puts on objects whose deletion needs work first.
const Finalizer = "ecs.operator.dev/finalizer"

// Labels ecs-operator puts on the namespaces and workloads it manages.
const (
	LabelTenant    = "ecs.operator.dev/tenant"
	LabelCluster   = "ecs.operator.dev/cluster"
	LabelCellGroup = "ecs.operator.dev/cell-group"
)
