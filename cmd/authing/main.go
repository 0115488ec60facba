// Command authing runs the authing sign-in service and manages its users.
//
//	authing serve [--addr 127.0.0.1:8080] [--database URL] [--redis URL] [--prefix /api/v1/authing] [--env-file F]
//	authing migrate [--database URL]
//	authing users create --username U [--email E] [--first-name F] [--last-name L] [--staff] [--superuser] --password-stdin [--database URL]
//	authing users set-password --username U --password-stdin [--database URL]
//	authing users activate|deactivate --username U [--database URL]
//	authing users list [--json] [--database URL]
//	authing check [--database URL] [--env-file F]
//	authing settings
//
// Settings come from BS_<NAME> environment variables, from project.env and
// the file named by BS_ENV_FILE (default .env), and from flags; flags win.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], env{os.Stdin, os.Stdout, os.Stderr, os.Getenv})
	if err != nil {
		fmt.Fprintln(os.Stderr, "authing:", err)
		os.Exit(exitCode(err))
	}
}

// env is what a command may touch of the outside world; tests pass their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}

const usage = `usage: authing <command> [flags]

commands:
  serve      run the sign-in service
  migrate    create or check the user database tables
  users      create, set-password, activate, deactivate, list
  check      print configuration findings without starting
  settings   print the settings reference
  hash       calibrate: pick password-hash parameters for this machine

Run 'authing <command> -h' for the flags of a command.`

func run(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], e)
	case "migrate":
		return cmdMigrate(ctx, args[1:], e)
	case "users":
		return cmdUsers(ctx, args[1:], e)
	case "check":
		return cmdCheck(ctx, args[1:], e)
	case "settings":
		_, err := io.WriteString(e.stdout, settingsReference())
		return err
	case "hash":
		return cmdHash(ctx, args[1:], e)
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n\n%s", args[0], usage)}
}
