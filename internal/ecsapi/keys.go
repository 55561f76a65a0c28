package ecsapi

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1informers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
)

// Access keys live in Secrets of the operator's namespace labelled LabelAccessKey=true:
//
//	accessKeyId:     AKIA…            the key's ID, as the client sends it
//	secretAccessKey: …                what requests are signed with
//	user:            alice@example.com the Kubernetes user the key acts as, or
//	serviceAccount:  NAMESPACE/NAME    a ServiceAccount
//	groups:          a,b               further groups of a user (optional)
//	defaultCluster:  NAME              the cluster of requests that name none (optional)
const (
	LabelAccessKey     = "ecs.operator.dev/ecs-api-key"
	indexAccessKeyID   = "accessKeyId"
	keyAccessKeyID     = "accessKeyId"
	keySecretAccessKey = "secretAccessKey"
)

// identity is who a key acts as.
type identity struct {
	accessKey      string
	secret         string
	user           string
	groups         []string
	defaultCluster string
}

// keyStore finds access keys by ID, from an informer over the labelled Secrets.
type keyStore struct {
	informer toolscache.SharedIndexInformer
}

func newKeyStore(clientset kubernetes.Interface, namespace string) *keyStore {
	informer := corev1informers.NewFilteredSecretInformer(clientset, namespace, 0, toolscache.Indexers{
		indexAccessKeyID: func(obj any) ([]string, error) {
			s, ok := obj.(*corev1.Secret)
			if !ok {
				return nil, nil
			}
			return []string{string(s.Data[keyAccessKeyID])}, nil
		},
	}, func(o *metav1.ListOptions) { o.LabelSelector = LabelAccessKey + "=true" })
	return &keyStore{informer: informer}
}

// NeedLeaderElection is false: every replica serves the API.
func (k *keyStore) NeedLeaderElection() bool { return false }

// Start runs the informer until ctx ends.
func (k *keyStore) Start(ctx context.Context) error {
	k.informer.RunWithContext(ctx)
	return nil
}

func (k *keyStore) synced() bool { return k.informer.HasSynced() }

// lookup finds the key with this ID.
func (k *keyStore) lookup(accessKey string) (*identity, error) {
	objs, err := k.informer.GetIndexer().ByIndex(indexAccessKeyID, accessKey)
	if err != nil || len(objs) != 1 || accessKey == "" {
		return nil, fmt.Errorf("unknown access key")
	}
	return identityOf(objs[0].(*corev1.Secret))
}

func identityOf(s *corev1.Secret) (*identity, error) {
	id := &identity{
		accessKey:      string(s.Data[keyAccessKeyID]),
		secret:         string(s.Data[keySecretAccessKey]),
		user:           string(s.Data["user"]),
		defaultCluster: string(s.Data["defaultCluster"]),
	}
	for _, g := range strings.Split(string(s.Data["groups"]), ",") {
		if g = strings.TrimSpace(g); g != "" {
			id.groups = append(id.groups, g)
		}
	}
	if sa := string(s.Data["serviceAccount"]); sa != "" {
		ns, name, ok := strings.Cut(sa, "/")
		if !ok || id.user != "" {
			return nil, fmt.Errorf("secret %s: serviceAccount is NAMESPACE/NAME, and excludes user", s.Name)
		}
		id.user = "system:serviceaccount:" + ns + ":" + name
		id.groups = append(id.groups, "system:serviceaccounts", "system:serviceaccounts:"+ns)
	}
	if id.secret == "" || id.user == "" {
		return nil, fmt.Errorf("secret %s: a key needs secretAccessKey and a user or serviceAccount", s.Name)
	}
	id.groups = append(id.groups, "system:authenticated")
	return id, nil
}
