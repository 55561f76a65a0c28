package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

// awsFlags are what the AWS CLI-shaped commands share: the cluster, how ARNs are spelled, and
// the output format.
type awsFlags struct {
	cluster, region, account, output string
}

func (a *awsFlags) bind(cmd *cobra.Command, withCluster bool) {
	if withCluster {
		cmd.Flags().StringVar(&a.cluster, "cluster", "", "The ECS Cluster, by name or ARN (default: the Cluster of the namespace).")
	}
	cmd.Flags().StringVar(&a.region, "region", firstEnv("AWS_REGION", "AWS_DEFAULT_REGION"), "The region ARNs name (default: $AWS_REGION, else us-east-1).")
	cmd.Flags().StringVar(&a.account, "account-id", os.Getenv("ECS_OPERATOR_ACCOUNT_ID"), "The account ARNs name (default: $ECS_OPERATOR_ACCOUNT_ID, else 000000000000).")
	cmd.Flags().StringVarP(&a.output, "output", "o", "json", "json (the AWS CLI's output), table or wide.")
}

func (a *awsFlags) arns() ecsjson.ARNs {
	region, account := a.region, a.account
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "000000000000"
	}
	return ecsjson.ARNs{Region: region, Account: account}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// resolve finds the namespace of --cluster (a Cluster's status says it), or, without one, the
// Cluster of the namespace -n or the context names. A tenant who may not read Clusters names
// its namespace with -n; the cluster is then called after the namespace.
func (a *awsFlags) resolve(ctx context.Context, k *kubeFlags) (*ecsops.Target, error) {
	c, ns, err := k.client()
	if err != nil {
		return nil, err
	}
	t := &ecsops.Target{Client: c, Namespace: ns, ARNs: a.arns()}
	if a.cluster != "" {
		t.Cluster = ecsops.ClusterName(a.cluster)
		cl := &ecsv1.Cluster{}
		err := c.Get(ctx, client.ObjectKey{Name: t.Cluster}, cl)
		switch {
		case err == nil && cl.Status.Namespace != "":
			t.Namespace = cl.Status.Namespace
		case err == nil:
			return nil, fmt.Errorf("ClusterNotFoundException: cluster %s is %s and has no namespace yet", t.Cluster, cl.Status.Status)
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("ClusterNotFoundException: Cluster not found: %s", t.Cluster)
		case apierrors.IsForbidden(err) && k.namespace != "":
			// The tenant named its namespace itself.
		default:
			return nil, fmt.Errorf("finding cluster %s: %w (a tenant names its namespace with -n)", t.Cluster, err)
		}
		return t, nil
	}
	if t.Cluster = ecsops.ClusterOf(ctx, c, ns); t.Cluster == "" {
		t.Cluster = ns
	}
	return t, nil
}

// table is a table of rows for -o table and -o wide: columns marked wide only in wide.
type table struct {
	headers []string
	wide    []bool
	rows    [][]string
}

// printResult writes doc as the AWS CLI's JSON, or t as a table.
func printResult(out io.Writer, format string, doc any, t *table) error {
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "    ")
		return enc.Encode(ecsjson.Render(doc, false))
	case "table", "wide":
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		row := func(cells []string) {
			var keep []string
			for i, c := range cells {
				if format == "wide" || !t.wide[i] {
					keep = append(keep, c)
				}
			}
			_, _ = fmt.Fprintln(tw, strings.Join(keep, "\t"))
		}
		row(t.headers)
		for _, r := range t.rows {
			row(r)
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output %q: want json, table or wide", format)
}

// str is a description's string value, "-" when it has none.
func str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		if v != "" {
			return v
		}
	case nil:
	default:
		return fmt.Sprint(v)
	}
	return "-"
}

// awsError is an error worded as the AWS CLI words it ("Waiter ServicesStable failed: …").
type awsErr string

func (e awsErr) Error() string { return string(e) }

func awsError(format string, args ...any) error { return awsErr(fmt.Sprintf(format, args...)) }
