package recipe

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ParseFlags parses flags quietly: a bad flag is reported in one line by the caller,
// -h prints the flags.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	err := ParseFlagsAndArgs(fs, args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return err
}

// ParseFlagsAndArgs is ParseFlags for a command that takes arguments after
// its flags (fs.Args()).
func ParseFlagsAndArgs(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fmt.Printf("Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
	}
	return err
}
