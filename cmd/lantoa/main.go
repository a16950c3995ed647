// Command lantoa is Lan Tỏa: the web server and its administration commands in one binary.
package main

import (
	"context"
	"os"

	"github.com/lantoa/lantoa/internal/app"
)

func main() {
	os.Exit(app.Main(context.Background(), os.Args[1:], app.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
