package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	admissionregistrationv1informers "k8s.io/client-go/informers/admissionregistration/v1"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
)

var injectorLog = ctrl.Log.WithName("ca-injector")

// webhookConfiguration names a webhook configuration whose webhooks must trust the rotated CA.
type webhookConfiguration struct {
	Name     string
	Mutating bool
}

func (w webhookConfiguration) String() string {
	if w.Mutating {
		return "MutatingWebhookConfiguration/" + w.Name
	}
	return "ValidatingWebhookConfiguration/" + w.Name
}

// The webhook configurations the operator injects its CA into; config/default's namePrefix
// "ecs-operator-" makes these names from config/webhook's.
var webhookConfigurations = []webhookConfiguration{
	{Name: "ecs-operator-validating-webhook-configuration"},
	{Name: "ecs-operator-mutating-webhook-configuration", Mutating: true},
	{Name: "ecs-operator-pod-validating-webhook-configuration"},
	{Name: "ecs-operator-pod-mutating-webhook-configuration", Mutating: true},
	{Name: "ecs-operator-namespace-validating-webhook-configuration"},
}

// The injector watches the webhook configurations and patches its own five, by name.
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations;mutatingwebhookconfigurations,verbs=get;list;watch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=patch,resourceNames=ecs-operator-validating-webhook-configuration;ecs-operator-pod-validating-webhook-configuration;ecs-operator-namespace-validating-webhook-configuration
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=patch,resourceNames=ecs-operator-mutating-webhook-configuration;ecs-operator-pod-mutating-webhook-configuration

// caInjector puts the CA of the certificate Secret into the webhook configurations. It replaces
// cert-controller's injection, which updates every configuration on every start whether its
// caBundle changed or not: this one compares first and writes only the webhooks whose caBundle
// differs, so that a restart with nothing changed writes nothing.
//
// Each configuration has an informer of its own, limited to its name by a field selector, so
// that the operator neither lists nor caches other products' webhook configurations.
type caInjector struct {
	clientset    kubernetes.Interface
	fieldManager string
	secret       *certSecret
	configs      []injectedConfiguration
	// synced are done once every informer has listed and delivered its objects to this injector.
	synced []toolscache.DoneChecker
	queue  workqueue.TypedRateLimitingInterface[webhookConfiguration]
	// changed wakes waitInjected whenever a configuration or the Secret changes.
	changed signal
	// patchedFrom is, per configuration, the resourceVersion the last successful patch started
	// from: until the informer brings the patched version, the store still holds that one, and
	// patching it again would only fail the resourceVersion test. Only the worker touches it.
	patchedFrom map[webhookConfiguration]string
}

type injectedConfiguration struct {
	webhookConfiguration
	informer toolscache.SharedIndexInformer
}

// newCAInjector watches the configurations and the Secret; Start runs it.
func newCAInjector(clientset kubernetes.Interface, secret *certSecret, configs []webhookConfiguration, fieldManager string) (*caInjector, error) {
	i := &caInjector{
		clientset:    clientset,
		fieldManager: fieldManager,
		secret:       secret,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[webhookConfiguration](),
			workqueue.TypedRateLimitingQueueConfig[webhookConfiguration]{Name: "ca-injector"}),
		patchedFrom: map[webhookConfiguration]string{},
	}
	for _, w := range configs {
		informer := newWebhookConfigurationInformer(clientset, w)
		if err := informer.SetTransform(stripManagedFields); err != nil {
			return nil, fmt.Errorf("watching %s: %w", w, err)
		}
		reg, err := informer.AddEventHandler(changeHandler(func() {
			i.queue.Add(w)
			i.changed.notify()
		}))
		if err != nil {
			return nil, fmt.Errorf("watching %s: %w", w, err)
		}
		i.configs = append(i.configs, injectedConfiguration{webhookConfiguration: w, informer: informer})
		i.synced = append(i.synced, reg.HasSyncedChecker())
	}
	reg, err := secret.informer.AddEventHandler(changeHandler(func() {
		for _, c := range i.configs {
			i.queue.Add(c.webhookConfiguration)
		}
		i.changed.notify()
	}))
	if err != nil {
		return nil, fmt.Errorf("watching Secret %s: %w", secret.key, err)
	}
	i.synced = append(i.synced, reg.HasSyncedChecker())
	return i, nil
}

func newWebhookConfigurationInformer(clientset kubernetes.Interface, w webhookConfiguration) toolscache.SharedIndexInformer {
	byName := func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", w.Name).String()
	}
	if w.Mutating {
		return admissionregistrationv1informers.NewFilteredMutatingWebhookConfigurationInformer(clientset, 0, toolscache.Indexers{}, byName)
	}
	return admissionregistrationv1informers.NewFilteredValidatingWebhookConfigurationInformer(clientset, 0, toolscache.Indexers{}, byName)
}

// NeedLeaderElection is false because every replica must see the CA injected before it says it
// is ready; replicas injecting at once do no harm, as each patch is conditional on the
// resourceVersion it read.
func (i *caInjector) NeedLeaderElection() bool { return false }

// Start runs the configurations' informers and injects the CA until ctx ends. It needs the
// Secret's informer running too (certSecret.Start).
func (i *caInjector) Start(ctx context.Context) error {
	var informers sync.WaitGroup
	defer informers.Wait()
	for _, c := range i.configs {
		informers.Go(func() { c.informer.RunWithContext(ctx) })
	}
	defer i.queue.ShutDown()
	if !toolscache.WaitFor(ctx, "", i.synced...) {
		return nil // stopped before the informers listed anything
	}
	go func() {
		<-ctx.Done()
		i.queue.ShutDownWithDrain()
	}()
	for i.processNext(ctx) {
	}
	return nil
}

func (i *caInjector) processNext(ctx context.Context) bool {
	w, shutdown := i.queue.Get()
	if shutdown {
		return false
	}
	defer i.queue.Done(w)
	if err := i.inject(ctx, w); err != nil {
		if ctx.Err() == nil {
			injectorLog.Error(err, "injecting the CA; retrying", "configuration", w.String())
		}
		i.queue.AddRateLimited(w)
		return true
	}
	i.queue.Forget(w)
	return true
}

// inject patches the caBundle of those webhooks of the configuration that lack the Secret's CA.
func (i *caInjector) inject(ctx context.Context, w webhookConfiguration) error {
	ca := i.secret.ca()
	if len(ca) == 0 {
		return nil // the rotator has not written the Secret yet; its event brings us back
	}
	obj, exists, err := i.informerOf(w).GetStore().GetByKey(w.Name)
	if err != nil {
		return fmt.Errorf("reading %s from the informer: %w", w, err)
	}
	if !exists {
		return nil // not installed (yet): the informer tells us when it is
	}
	rv, bundles, ok := caBundles(obj)
	if !ok || rv == i.patchedFrom[w] {
		return nil
	}
	stale := staleWebhooks(bundles, ca)
	if len(stale) == 0 {
		return nil
	}
	// The test of the resourceVersion makes the webhook indexes safe to use: a configuration
	// changed since the informer saw it fails the patch (422) instead of getting the CA at the
	// wrong place, and its new version comes back through the informer.
	ops := []jsonPatchOp{{Op: "test", Path: "/metadata/resourceVersion", Value: rv}}
	for _, n := range stale {
		ops = append(ops, jsonPatchOp{Op: "add", Path: fmt.Sprintf("/webhooks/%d/clientConfig/caBundle", n), Value: ca})
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return fmt.Errorf("encoding the CA patch of %s: %w", w, err)
	}
	opts := metav1.PatchOptions{FieldManager: i.fieldManager}
	api := i.clientset.AdmissionregistrationV1()
	if w.Mutating {
		_, err = api.MutatingWebhookConfigurations().Patch(ctx, w.Name, types.JSONPatchType, patch, opts)
	} else {
		_, err = api.ValidatingWebhookConfigurations().Patch(ctx, w.Name, types.JSONPatchType, patch, opts)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("patching the CA into %d webhooks of %s at resourceVersion %s: %w", len(stale), w, rv, err)
	}
	i.patchedFrom[w] = rv
	injectorLog.Info("injected the CA", "configuration", w.String(), "webhooks", len(stale))
	return nil
}

type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func (i *caInjector) informerOf(w webhookConfiguration) toolscache.SharedIndexInformer {
	for _, c := range i.configs {
		if c.webhookConfiguration == w {
			return c.informer
		}
	}
	panic(fmt.Sprintf("no informer for %s", w))
}

// waitInjected returns once every installed configuration carries the Secret's CA in all its
// webhooks, so that the webhook server is not marked ready while the API server cannot yet
// trust its certificate. A configuration that is not installed does not hold it up (the
// informer injects it once it is).
func (i *caInjector) waitInjected(ctx context.Context) error {
	if !toolscache.WaitFor(ctx, "", i.synced...) {
		return fmt.Errorf("watching the webhook configurations and Secret %s: %w", i.secret.key, context.Cause(ctx))
	}
	for {
		changed := i.changed.wait()
		missing := i.notInjected()
		if missing == "" {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the CA of Secret %s in %s: %w", i.secret.key, missing, context.Cause(ctx))
		}
	}
}

// notInjected names what still lacks the Secret's CA, "" when nothing does.
func (i *caInjector) notInjected() string {
	ca := i.secret.ca()
	if len(ca) == 0 {
		return "the Secret (no ca.crt yet)"
	}
	for _, c := range i.configs {
		obj, exists, err := c.informer.GetStore().GetByKey(c.Name)
		if err != nil || !exists {
			continue
		}
		if _, bundles, ok := caBundles(obj); ok && len(staleWebhooks(bundles, ca)) > 0 {
			return c.String()
		}
	}
	return ""
}

// caBundles returns the resourceVersion and the caBundle of every webhook of a configuration;
// ok is false for anything else, and for a configuration being deleted.
func caBundles(obj any) (resourceVersion string, bundles [][]byte, ok bool) {
	switch c := obj.(type) {
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for _, w := range c.Webhooks {
			bundles = append(bundles, w.ClientConfig.CABundle)
		}
		return c.ResourceVersion, bundles, c.DeletionTimestamp == nil
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for _, w := range c.Webhooks {
			bundles = append(bundles, w.ClientConfig.CABundle)
		}
		return c.ResourceVersion, bundles, c.DeletionTimestamp == nil
	}
	return "", nil, false
}

func staleWebhooks(bundles [][]byte, ca []byte) []int {
	var stale []int
	for n, b := range bundles {
		if !bytes.Equal(b, ca) {
			stale = append(stale, n)
		}
	}
	return stale
}

// changeHandler calls f on every add, update and delete: the handlers only need to know that
// something changed, and look at the informers' stores for what.
func changeHandler(f func()) toolscache.ResourceEventHandlerFuncs {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { f() },
		UpdateFunc: func(any, any) { f() },
		DeleteFunc: func(any) { f() },
	}
}

// stripManagedFields keeps the informers' copies small; nothing here reads managed fields.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// signal lets waiters sleep until something they check may have changed, instead of polling.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed by the next notify; take it before checking, so that a change
// between the check and the wait is not missed.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
