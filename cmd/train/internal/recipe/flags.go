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
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fmt.Printf("Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return err
}
