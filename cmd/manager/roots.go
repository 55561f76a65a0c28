package main

// The operator's image holds the manager and nothing else, so no CA bundle: Go's fallback roots
// let it reach an Alertmanager or a lifecycle hook over https all the same (a system bundle,
// where there is one, is still preferred).
import _ "golang.org/x/crypto/x509roots/fallback"
