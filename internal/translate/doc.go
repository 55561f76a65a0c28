// Package translate turns an ECS task definition revision, with a Task's overrides, the
// capacity provider it runs on and the placement of its Service or Task, into the Kubernetes
// objects that run it: a PodTemplateSpec, the ServiceAccount of its task role and the claims of
// its shared volumes. It also holds the rollout arithmetic ECS uses for Services.
//
// The package is pure: no client, no context, no clock, no randomness. The same input always
// gives the same output, with every map-derived list sorted, so that server-side apply sees no
// difference when a controller resyncs. Whatever ECS can say and Kubernetes cannot is returned
// in Output.Unsupported, never dropped silently. docs/translation.md is the mapping, field by
// field, and the list of places where Kubernetes behaves differently from ECS.
package translate
