package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/descent-ml/descent/internal/runfolder"
)

// classesFile names the run's classes, one a line in class-index order.
const classesFile = "classes.txt"

// writeClasses stores the run's class names in its folder, so that its
// reports and predictions name the classes its outputs mean.
func writeClasses(dir string, classes []string) error {
	return runfolder.WriteAtomic(filepath.Join(dir, classesFile), func(f *os.File) error {
		_, err := f.WriteString(strings.Join(classes, "\n") + "\n")
		return err
	})
}

// checkClasses refuses data whose classes are not the ones the run in dir
// was trained on (a -data-dir with a class folder more or less); a run saved
// before classes.txt is not checked.
func checkClasses(dir string, classes []string) error {
	f, err := os.Open(filepath.Join(dir, classesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	var saved []string
	for s := bufio.NewScanner(f); s.Scan(); {
		saved = append(saved, s.Text())
	}
	if !slices.Equal(saved, classes) {
		return fmt.Errorf("the data has classes %s; the run in %s was trained on %s (%s)",
			list(classes), dir, list(saved), filepath.Join(dir, classesFile))
	}
	return nil
}

// list shows up to 10 class names.
func list(classes []string) string {
	if len(classes) > 10 {
		return fmt.Sprintf("%d classes (%s, …)", len(classes), strings.Join(classes[:10], ", "))
	}
	return strings.Join(classes, ", ")
}
