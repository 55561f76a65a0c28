package localcluster

import (
	"bytes"
	"testing"
)

func TestLegacyKubeletStages_RestartContainersByThePodsPolicyAlone(t *testing.T) {
	legacy, err := legacyKubeletStages(kwokConfig)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(legacy, []byte(containerRestarts)) || !bytes.Contains(legacy, []byte(legacyRestarts)) {
		t.Fatal("the legacy stages still honour container restart policies")
	}
	if _, err := legacyKubeletStages([]byte("kind: Stage")); err == nil {
		t.Fatal("a configuration without the restart line must be an error, not a silent no-op")
	}
}

func TestDesiredNode_ALegacyKubeletDeclaresNoFeatures(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		node, err := desiredNode(Node{Name: "n", LegacyKubelet: legacy})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(node.Status.DeclaredFeatures); (got == 0) != legacy {
			t.Errorf("legacy=%v: declared features %v", legacy, node.Status.DeclaredFeatures)
		}
	}
}
