// Package session holds what every Go client program of the client matrix shares: its arguments
// (BOOTSTRAP TOPIC GROUP N), failing with one line, the client library's version from the build, and printing
// the session's one JSON object.
package session

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Args are the matrix's four arguments, the same for every client.
type Args struct {
	Bootstrap, Topic, Group string
	N                       int
}

// ParseArgs reads BOOTSTRAP TOPIC GROUP N from the command line; usage names the program.
func ParseArgs(program string) Args {
	if len(os.Args) != 5 {
		Fail("usage", fmt.Errorf("%s BOOTSTRAP TOPIC GROUP N", program))
	}
	n, err := strconv.Atoi(os.Args[4])
	if err != nil || n <= 0 {
		Fail("N", fmt.Errorf("a positive record count, got %q", os.Args[4]))
	}
	return Args{Bootstrap: os.Args[1], Topic: os.Args[2], Group: os.Args[3], N: n}
}

// Fail prints one line to stderr and exits 1: the matrix shows it as the client's error.
func Fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

// Version is the version of the module at path this binary was built with (from go.mod via the build info).
func Version(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == path {
				return strings.TrimPrefix(d.Version, "v")
			}
		}
	}
	return "unknown"
}

// Print writes the session's result as one JSON object on stdout.
func Print(out map[string]any) {
	b, err := json.Marshal(out)
	if err != nil {
		Fail("result", err)
	}
	fmt.Println(string(b))
}
