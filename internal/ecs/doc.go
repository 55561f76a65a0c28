// Package ecs parses the values Amazon ECS writes as strings: task cpu and memory sizes
// ("1 vCPU", "2 GB"), ARNs, task definition references ("family:revision"), the valueFrom of
// secrets, and the cluster query language of memberOf placement constraints.
//
// The translation, the admission webhooks and the importer all read these values, and they
// must agree on what each one means and on which ones are wrong; keeping the parsing here,
// once, is what makes them agree. The package is pure: no client, no context, no clock. Its
// errors name what was wrong and quote the input, because they reach users through webhook
// denials and status conditions with no other context.
package ecs
