package ecsapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

// call is one request: who makes it, a client acting as them, and its input.
type call struct {
	s  *Server
	id *identity
	c  client.Client
	in map[string]any
}

type handler func(ctx context.Context, c *call) (any, error)

func (c *call) str(key string) string {
	s, _ := c.in[key].(string)
	return s
}

func (c *call) strs(key string) ([]string, error) {
	v, ok := c.in[key]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, invalidParameter("%s must be a list of strings", key)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, invalidParameter("%s must be a list of strings", key)
		}
		out = append(out, s)
	}
	return out, nil
}

func (c *call) integer(key string, def int64) (int64, error) {
	v, ok := c.in[key]
	if !ok || v == nil {
		return def, nil
	}
	n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	if err != nil {
		return 0, invalidParameter("%s must be an integer", key)
	}
	return n, nil
}

func (c *call) boolean(key string) bool {
	b, _ := c.in[key].(bool)
	return b
}

// target resolves the request's cluster (by name or ARN; the key's defaultCluster when it names
// none) to its namespace, reading the Cluster as the operator: whether the caller may act
// there is the API server's to say, through the caller's own client.
func (c *call) target(ctx context.Context) (*ecsops.Target, error) {
	name := c.str("cluster")
	if name == "" {
		name = c.id.defaultCluster
	}
	if name == "" {
		name = "default"
	}
	name = ecsops.ClusterName(name)
	cl := &ecsv1.Cluster{}
	if err := c.s.o.Operator.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, clusterNotFound()
		}
		return nil, err
	}
	if cl.Status.Namespace == "" || !cl.DeletionTimestamp.IsZero() {
		return nil, newError("ClusterNotFoundException", 400, "The referenced cluster was inactive.")
	}
	return &ecsops.Target{Client: c.c, Cluster: name, Namespace: cl.Status.Namespace, ARNs: c.s.o.ARNs}, nil
}

// page returns the part of items a list call asks for (maxResults, nextToken) and the token of
// the next part, "" at the end.
func (c *call) page(items []any, defaultMax int64) ([]any, string, error) {
	limit, err := c.integer("maxResults", defaultMax)
	if err != nil {
		return nil, "", err
	}
	if limit < 1 || limit > 100 {
		return nil, "", invalidParameter("maxResults must be between 1 and 100")
	}
	start := 0
	if tok := c.str("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, "", invalidParameter("Invalid nextToken")
		}
		if start, err = strconv.Atoi(string(b)); err != nil || start < 0 || start > len(items) {
			return nil, "", invalidParameter("Invalid nextToken")
		}
	}
	end := min(start+int(limit), len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}

// withNext adds nextToken to a list result when there is more.
func withNext(out map[string]any, next string) map[string]any {
	if next != "" {
		out["nextToken"] = next
	}
	return out
}
