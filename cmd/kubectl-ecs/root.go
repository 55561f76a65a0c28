package main

import (
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// streams are where a command reads and writes.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// kubeFlags are kubectl's connection flags, which kubectl passes on to a plugin as the user
// wrote them.
type kubeFlags struct {
	kubeconfig, context, namespace string
}

func (k *kubeFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&k.kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
	cmd.PersistentFlags().StringVar(&k.context, "context", "", "The kubeconfig context to use.")
	cmd.PersistentFlags().StringVarP(&k.namespace, "namespace", "n", "", "The namespace (an ECS Cluster's); default: the context's.")
}

func (k *kubeFlags) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.kubeconfig
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.context})
}

// client connects to the cluster and says the namespace to work in.
func (k *kubeFlags) client() (client.Client, string, error) {
	cc := k.clientConfig()
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", err
	}
	ns := k.namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, "", err
		}
	}
	s, err := scheme()
	if err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	return c, ns, err
}

func newRootCommand(in io.Reader, out, errOut io.Writer) *cobra.Command {
	s := streams{in: in, out: out, err: errOut}
	k := &kubeFlags{}
	root := &cobra.Command{
		Use:           "kubectl-ecs",
		Short:         "Carry ECS task definitions and services between Amazon ECS and ecs-operator",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl ecs"},
	}
	k.bind(root)
	root.AddCommand(newImportCommand(s, k), newExportCommand(s, k), newDiffCommand(s, k),
		newDescribeServicesCommand(s, k), newDescribeTasksCommand(s, k), newListTasksCommand(s, k),
		newDescribeClustersCommand(s, k), newDescribeTaskDefinitionCommand(s, k), newListTaskDefinitionsCommand(s, k),
		newRunTaskCommand(s, k), newStopTaskCommand(s, k), newUpdateServiceCommand(s, k), newWaitCommand(s, k))
	return root
}

// scheme knows the ecs-operator kinds and Kubernetes' own.
func scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := ecsv1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}
