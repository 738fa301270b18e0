// Command compose-check validates compose files with compose-go, the Compose Specification's
// reference loader (what `docker compose config` runs): schema, interpolation, references.
//
//	go run . ../../docker-compose.yml [more files...]
//
// Each argument is one project (a file, or files joined with ',' applied as overrides).
// Variables are taken from the environment; required ones (${X:?msg}) must be set.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE[,OVERRIDE...] ...")
		os.Exit(2)
	}
	failed := false
	for _, arg := range os.Args[1:] {
		files := strings.Split(arg, ",")
		options, err := cli.NewProjectOptions(files,
			cli.WithOsEnv,
			cli.WithWorkingDirectory(filepath.Dir(files[0])),
			cli.WithConsistency(true),
			cli.WithResolvedPaths(true),
		)
		if err == nil {
			var project interface{ ServiceNames() []string }
			p, loadErr := options.LoadProject(context.Background())
			err = loadErr
			if err == nil {
				project = p
				fmt.Printf("ok   %s (services: %s)\n", arg, strings.Join(project.ServiceNames(), ", "))
				continue
			}
		}
		failed = true
		fmt.Printf("FAIL %s: %v\n", arg, err)
	}
	if failed {
		os.Exit(1)
	}
}
