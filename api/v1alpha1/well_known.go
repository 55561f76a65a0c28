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

// Labels ecs-operator puts on the namespaces, revisions and workloads it manages.
const (
	LabelTenant    = "ecs.operator.dev/tenant"
	LabelCluster   = "ecs.operator.dev/cluster"
	LabelCellGroup = "ecs.operator.dev/cell-group"

	// LabelTaskDefinition names the TaskDefinition object a revision belongs to.
	LabelTaskDefinition = "ecs.operator.dev/task-definition"
	// LabelFamily and LabelRevision identify a task definition revision, on revisions and Pods.
	LabelFamily   = "ecs.operator.dev/family"
	LabelRevision = "ecs.operator.dev/revision"
	// LabelRevisionHash is the content hash of a revision.
	LabelRevisionHash = "ecs.operator.dev/revision-hash"
	// LabelService names the Service whose tasks a Pod or child object belongs to.
	LabelService = "ecs.operator.dev/service"
	// LabelTask names the Task a Pod runs.
	LabelTask = "ecs.operator.dev/task"
	// LabelManagedBy marks every object ecs-operator creates, so its caches can select them.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is LabelManagedBy's value.
	ManagedByValue = "ecs-operator"
)

// Annotations ecs-operator reads or writes.
const (
	// AnnotationTaskDefinition is the "family:revision" a Pod template or ReplicaSet runs.
	AnnotationTaskDefinition = "ecs.operator.dev/task-definition"
	// AnnotationForceNewDeployment on a Service restarts its tasks, like ECS's
	// UpdateService --force-new-deployment: set it to any new value (a timestamp, a counter).
	AnnotationForceNewDeployment = "ecs.operator.dev/force-new-deployment"
	// AnnotationStopReason on a Task stops it, like StopTask: the task stops (UserInitiated)
	// with the annotation's value as its stoppedReason ("" for "Task stopped by user") and the
	// Task stays, STOPPED, until deleted. Set before deleting a Task, it is the reason given.
	AnnotationStopReason = "ecs.operator.dev/stop-reason"
	// AnnotationDeregisteredRevisions on a TaskDefinition lists the revisions deregistered, like
	// DeregisterTaskDefinition (comma-separated numbers): they are INACTIVE in its status. As in
	// ECS, what runs them keeps running them.
	AnnotationDeregisteredRevisions = "ecs.operator.dev/deregistered-revisions"
)
