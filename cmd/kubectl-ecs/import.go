package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

type importOptions struct {
	files  []string
	params []string
	family string
	output string
	strict bool
}

func newImportCommand(s streams, k *kubeFlags) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import -f FILE|DIR|-",
		Short: "Read ECS task definitions and services into TaskDefinition and Service manifests",
		Long: `import reads every task definition and service in the files given — RegisterTaskDefinition or
CreateService input (--cli-input-json), aws ecs describe-task-definition or describe-services
output, CloudFormation templates (JSON or YAML), Terraform container_definitions or
"terraform show -json" output, ecspresso configurations — and writes TaskDefinition and Service
manifests for kubectl apply. Whatever cannot be carried is reported on stderr with its JSON path.`,
		Example: `  kubectl ecs import -f task-definition.json | kubectl apply -n my-cluster-ns -f -
  aws ecs describe-task-definition --task-definition web --include TAGS | kubectl ecs import -f -
  kubectl ecs import -f template.yaml --parameter Image=nginx:1.27 --output kustomize=./web`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s, k) },
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "A file, a directory of .json/.yaml/.yml files, or - for stdin (repeatable).")
	cmd.Flags().StringArrayVar(&o.params, "parameter", nil, "NAME=VALUE for a CloudFormation parameter or a template variable (repeatable).")
	cmd.Flags().StringVar(&o.family, "family", "", "The family of a bare list of container definitions (Terraform's container_definitions).")
	cmd.Flags().StringVarP(&o.output, "output", "o", "yaml", "yaml, json, or kustomize=DIR (one file per object and a kustomization.yaml).")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "Exit with status 2, writing nothing, when anything cannot be carried.")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// source is one input document and what it held.
type source struct {
	name string
	objs ecsjson.Objects
	// ecspresso sets a service's name and cluster from its configuration.
	serviceName, cluster string
}

func (o *importOptions) run(s streams, k *kubeFlags) error {
	sources, err := readFiles(s.in, o.files, o.params, o.family)
	if err != nil {
		return err
	}
	manifests, lost := buildManifests(sources, k.namespace, s.err)
	if lost && o.strict {
		_, _ = fmt.Fprintln(s.err, "error: --strict: the input holds what ecs-operator cannot carry (above); nothing written")
		return exitError{code: 2}
	}
	return writeManifests(s.out, manifests, o.output)
}

// readFiles reads every -f given, with the --parameter values and --family, as import and
// diff both do.
func readFiles(stdin io.Reader, files, parameters []string, family string) ([]source, error) {
	params, err := parseParameters(parameters)
	if err != nil {
		return nil, err
	}
	var sources []source
	for _, f := range files {
		srcs, err := readSources(stdin, f, ecsjson.ReadOptions{Parameters: params, Family: family})
		if err != nil {
			return nil, err
		}
		sources = append(sources, srcs...)
	}
	return sources, nil
}

func parseParameters(list []string) (map[string]string, error) {
	params := map[string]string{}
	for _, p := range list {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--parameter %q: want NAME=VALUE", p)
		}
		params[name] = value
	}
	return params, nil
}

// readSources reads a file, every .json/.yaml/.yml file of a directory (sorted, recursively),
// or stdin for "-".
func readSources(stdin io.Reader, path string, o ecsjson.ReadOptions) ([]source, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return readData("(stdin)", "", data, o)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return readData(path, filepath.Dir(path), data, o)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && slices.Contains([]string{".json", ".yaml", ".yml"}, strings.ToLower(filepath.Ext(p))) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	// Files an ecspresso configuration names are read through it, not again on their own.
	referenced := map[string]bool{}
	var out []source
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if cfg, ok := ecspressoConfig(data); ok {
			srcs, refs, err := readEcspresso(f, cfg, o)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				referenced[r] = true
			}
			out = append(out, srcs...)
		}
	}
	for _, f := range files {
		if referenced[f] {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, ok := ecspressoConfig(data); ok {
			continue
		}
		srcs, err := readData(f, filepath.Dir(f), data, o)
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	return out, nil
}

func readData(name, dir string, data []byte, o ecsjson.ReadOptions) ([]source, error) {
	if cfg, ok := ecspressoConfig(data); ok {
		srcs, _, err := readEcspresso(filepath.Join(dir, filepath.Base(name)), cfg, o)
		return srcs, err
	}
	objs, err := ecsjson.Read(data, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []source{{name: name, objs: objs}}, nil
}
