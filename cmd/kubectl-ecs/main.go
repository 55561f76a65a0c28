// Command kubectl-ecs, installed as `kubectl ecs`, carries ECS task definitions and services
// between ECS and ecs-operator both ways: import reads the files ECS users keep (API JSON, AWS
// CLI output, CloudFormation, Terraform, ecspresso) into TaskDefinition and Service manifests;
// export writes a TaskDefinition, Service or plain Deployment back as ECS input; diff compares
// a file with the live objects. What cannot be carried is reported with its JSON path.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand(os.Stdin, os.Stdout, os.Stderr).Execute(); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// exitError ends the command with a status, its message already printed (diff's 1, --strict).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
