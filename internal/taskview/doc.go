// Package taskview reads an ECS task off the Pod that runs it: its lifecycle status
// (PROVISIONING … STOPPED), each container's status, exit and health under its ECS name, the
// task's health, and why it must stop (an essential container exited, a container cannot
// start). The Task and Service controllers, kubectl-ecs's describe-tasks and the ECS API all
// report tasks through it, so they agree. Pure: it reads Pods, never a client.
package taskview
