package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"

	"github.com/ecs-operator/ecs-operator/internal/ecsapi"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

// ecsAPIOptions are the flags of the ECS API (internal/ecsapi).
type ecsAPIOptions struct {
	bindAddress       string
	certFile, keyFile string
	region, accountID string
	rateLimit         float64
}

func (o *ecsAPIOptions) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.bindAddress, "ecs-api-bind-address", "",
		`Address to serve the Amazon ECS API on over HTTPS, for example ":8444"; empty (the default) serves none.`)
	fs.StringVar(&o.certFile, "ecs-api-cert-file", "",
		"Certificate of the ECS API (PEM); default: the webhook certificate (tls.crt in --webhook-cert-dir).")
	fs.StringVar(&o.keyFile, "ecs-api-key-file", "", "Private key of --ecs-api-cert-file; default: tls.key in --webhook-cert-dir.")
	fs.StringVar(&o.region, "ecs-api-region", "us-east-1", "The region the ECS API's ARNs name.")
	fs.StringVar(&o.accountID, "ecs-api-account-id", "000000000000", "The account the ECS API's ARNs name.")
	fs.Float64Var(&o.rateLimit, "ecs-api-rate-limit", 20, "Requests per second each ECS API access key may make (bursts of twice that); 0 for no limit.")
}

// serveECSAPI adds the ECS API to the manager: on every replica (it needs no leader), with its
// certificate reloaded when it changes (the rotated webhook certificate, or cert-manager's).
func serveECSAPI(mgr ctrl.Manager, o ecsAPIOptions, certDir, namespace string, tlsOpts []func(*tls.Config)) error {
	certFile, keyFile := o.certFile, o.keyFile
	if certFile == "" {
		certFile, keyFile = filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key")
	}
	server, err := ecsapi.New(ecsapi.Options{
		Config: mgr.GetConfig(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), Operator: mgr.GetClient(),
		KeysNamespace: namespace, ARNs: ecsjson.ARNs{Region: o.region, Account: o.accountID}, RateLimit: o.rateLimit,
	})
	if err != nil {
		return err
	}
	if err := mgr.Add(server.KeyStore()); err != nil {
		return fmt.Errorf("adding the ECS API's access keys: %w", err)
	}
	return mgr.Add(&ecsAPIRunnable{addr: o.bindAddress, certFile: certFile, keyFile: keyFile, handler: server, tlsOpts: tlsOpts})
}

type ecsAPIRunnable struct {
	addr, certFile, keyFile string
	handler                 http.Handler
	tlsOpts                 []func(*tls.Config)
}

// NeedLeaderElection is false: every replica answers.
func (r *ecsAPIRunnable) NeedLeaderElection() bool { return false }

// Start serves until ctx ends, once the certificate files exist (the rotator may be writing
// them).
func (r *ecsAPIRunnable) Start(ctx context.Context) error {
	log := ctrl.Log.WithName("ecs-api")
	for {
		if _, err := os.Stat(r.certFile); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	watcher, err := certwatcher.New(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("the ECS API's certificate: %w", err)
	}
	go func() { _ = watcher.Start(ctx) }()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: watcher.GetCertificate, NextProtos: []string{"http/1.1"}}
	for _, o := range r.tlsOpts {
		o(cfg)
	}
	l, err := tls.Listen("tcp", r.addr, cfg)
	if err != nil {
		return fmt.Errorf("the ECS API: %w", err)
	}
	srv := &http.Server{Handler: r.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("serving the ECS API", "address", l.Addr().String())
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
