package trainer_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// Example_readme is the README's library snippet, word for word (see
// TestReadmeSnippet); it compiles with the tests and runs in Example.
func Example_readme() {
	dir, err := data.FindGoMNIST() // the IDX files of the GoMNIST Go module
	if err != nil {
		log.Fatal(err)
	}
	trainSet, testSet, err := data.LoadMNIST(dir)
	if err != nil {
		log.Fatal(err)
	}
	loader := func(ds *data.Dataset, shuffle bool) trainer.Loader {
		l, err := augment.NewLoader(ds, augment.Config{BatchSize: 64, Seed: 1, Shuffle: shuffle})
		if err != nil {
			log.Fatal(err)
		}
		return trainer.Images(l)
	}
	net := layers.Sequential{ // a network of your own, or one of the zoo's (layers.LeNet, …)
		layers.Conv2D{Name: "conv", In: 1, Out: 8, Kernel: [2]int{5, 5}}, layers.ReLU,
		layers.MaxPool2D{Kernel: [2]int{2, 2}}, layers.Flatten{},
		layers.Linear{Name: "fc", In: 8 * 12 * 12, Out: 10},
	}
	model, err := layers.Build(net, []int{64, 1, 28, 28}, tensor.Float32, 1) // batch 64, seed 1
	if err != nil {
		log.Fatal(err)
	}
	opt, err := solvers.New("adam", map[string]any{"lr": 0.003})
	if err != nil {
		log.Fatal(err)
	}
	if err := opt.AddGroup(model.Trainable(), nil); err != nil {
		log.Fatal(err)
	}
	schedule, err := solvers.NewCosineAnnealingLR(opt, 3, 0) // over 3 epochs
	if err != nil {
		log.Fatal(err)
	}
	t, err := trainer.New(trainer.Config{Model: model, Device: "cpu", Optimizer: opt, Schedule: schedule,
		Train: loader(trainSet, true), Val: loader(testSet, false)})
	if err != nil {
		log.Fatal(err)
	}
	t.OnEpoch(func(e trainer.EpochInfo) error {
		fmt.Printf("epoch %d: train loss %.4f, test accuracy %.2f%%\n", e.Epoch, e.TrainLoss, 100*e.Val.Accuracy)
		return nil
	})
	if err := t.Fit(context.Background(), 3); err != nil {
		log.Fatal(err)
	}
	state, err := t.State() // for a checkpoint: t.Restore(state) continues bit-exactly
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("trained", state.Iteration, "steps")
}

// TestReadmeSnippet: the README shows Example_readme's body as it is.
func TestReadmeSnippet(t *testing.T) {
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func Example_readme() {\n")
	body, _, _ = strings.Cut(body, "\n}\n")
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	snippet := "```go\n" + strings.Join(lines, "\n") + "\n```\n"
	if !strings.Contains(string(readme), snippet) {
		t.Errorf("README.md lacks Example_readme's body as a go block:\n%s", snippet)
	}
}
